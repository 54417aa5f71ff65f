"""Forms of the authorities register: an authority, its contacts, its verification status."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from disclosures.models import (
    Authority,
    AuthorityContact,
)
from disclosures.services.authorities import AuthorityInput, ContactInput


class AuthorityForm(forms.Form):
    name = forms.CharField(label=_("Official name"), max_length=200)
    country = forms.CharField(
        label=_("Country (ISO 3166-1 alpha-2)"),
        max_length=2,
        widget=forms.TextInput(attrs={"size": 3, "placeholder": "FR"}),
    )
    type = forms.ChoiceField(label=_("Type"), choices=Authority.Type.choices)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    @classmethod
    def for_authority(cls, authority: Authority) -> AuthorityForm:
        return cls(
            initial={
                "name": authority.name,
                "country": authority.country,
                "type": authority.type,
                "notes": authority.notes,
            }
        )

    def to_input(self) -> AuthorityInput:
        data = self.cleaned_data
        return AuthorityInput(
            name=data["name"], country=data["country"], type=data["type"], notes=data["notes"]
        )


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AuthorityContact.Kind.choices)
    value = forms.CharField(label=_("Value"), max_length=300)
    directory_source = forms.CharField(
        label=_("Official directory"),
        max_length=300,
        help_text=_("Where the channel was looked up, with the date (e.g. annuaire.justice.fr)."),
    )
    not_from_request = forms.BooleanField(
        label=_("I took this channel from the official directory, not from a request."),
        required=True,
    )

    def to_input(self) -> ContactInput:
        data = self.cleaned_data
        return ContactInput(
            kind=data["kind"], value=data["value"], directory_source=data["directory_source"]
        )


class AuthorityStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Authority.Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


# --- The checklist, several checks in one form ---------------------------------------------------
