"""
Forms of the intake, request list and authorities screens.

They only parse what the browser sends (types, choices); the rules live in the services,
whose InvalidRequest errors the views put back on these forms.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from disclosures.forms_review import VersionForm
from disclosures.models import Authority, AuthorityContact, DataCategory, LegalRequest
from disclosures.selectors.authorities import verified_authorities
from disclosures.selectors.requests import RequestCursor, RequestFilters
from disclosures.services.authorities import AuthorityInput, ContactInput
from disclosures.services.intake import RequestInput, iana_time_zones
from disclosures.services.nondisclosure import NOTE_MAX, ReviewOutcome
from moderation.models import Category

_LOCAL_INPUT = {"type": "datetime-local"}
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
_CASE_IDS = re.compile(r"[\s,;]+")


class WallClockField(forms.DateTimeField):
    """A date and time as written, without a time zone: the form's time zone field says which."""

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            result = timezone.make_naive(result, timezone.get_current_timezone())
        return result


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs=_LOCAL_INPUT, format=_LOCAL_FORMAT)


class RequestForm(forms.Form):
    """The intake form; multipart because of the order document."""

    instrument = forms.ChoiceField(label=_("Instrument"), choices=LegalRequest.Instrument.choices)
    authority = forms.TypedChoiceField(
        label=_("Issuing authority"),
        coerce=int,
        choices=(),
        help_text=_("Only verified authorities of the registry can send requests."),
    )
    issuer_type = forms.ChoiceField(label=_("Issuer type"), choices=LegalRequest.IssuerType.choices)
    issuing_file_number = forms.CharField(label=_("Issuing file number"), max_length=100)
    validating_file_number = forms.CharField(
        label=_("Validating file number"),
        max_length=100,
        required=False,
        help_text=_("Required for European orders issued by police or administrative bodies."),
    )
    channel = forms.ChoiceField(label=_("Received through"), choices=LegalRequest.Channel.choices)
    received_at = forms.DateTimeField(
        label=_("Received (UTC)"), widget=_datetime_widget(), input_formats=[_LOCAL_FORMAT]
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=500)
    offence_category = forms.ChoiceField(label=_("Offence category"), choices=())
    offence_description = forms.CharField(
        label=_("Offence"), widget=forms.Textarea(attrs={"rows": 3})
    )
    statement_of_reasons = forms.CharField(
        label=_("Statement of reasons"), widget=forms.Textarea(attrs={"rows": 4})
    )
    data_requested = forms.MultipleChoiceField(
        label=_("Data requested"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    source_timezone = forms.ChoiceField(
        label=_("Time zone of the period"),
        choices=(),
        initial="UTC",
        help_text=_("The time zone the order gives its dates in; they are stored in UTC."),
    )
    date_from = WallClockField(
        label=_("Period from"), widget=_datetime_widget(), input_formats=[_LOCAL_FORMAT]
    )
    date_to = WallClockField(
        label=_("Period to"), widget=_datetime_widget(), input_formats=[_LOCAL_FORMAT]
    )
    targets = forms.CharField(
        label=_("Targets"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            "One per line: account_id:<id>, username:<name> or phone:<number>. Each is "
            "resolved to one platform account; unresolved ones are kept and shown."
        ),
    )
    case_ids = forms.CharField(
        label=_("Linked moderation cases"),
        help_text=_(
            "Case numbers, separated by commas: at least one must show that a target broke "
            "the terms (escalated to legal, or decided as a violation)."
        ),
    )
    emergency = forms.BooleanField(label=_("Emergency"), required=False)
    emergency_justification = forms.CharField(
        label=_("Emergency justification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    nondisclosure = forms.ChoiceField(
        label=_("Non-disclosure order"),
        choices=LegalRequest.NonDisclosure.choices,
        initial=LegalRequest.NonDisclosure.NONE,
    )
    nondisclosure_expires_at = forms.DateTimeField(
        label=_("Non-disclosure expires (UTC)"),
        widget=_datetime_widget(),
        input_formats=[_LOCAL_FORMAT],
        required=False,
        help_text=_(
            "Leave empty if the order has no end date: it will then be reviewed periodically "
            "to confirm it still applies."
        ),
    )
    document = forms.FileField(
        label=_("Order document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        help_text=_("PDF, PNG or JPEG. Its SHA-256 is recorded."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "authority").choices = [("", "—")] + [
            (a.pk, str(a)) for a in verified_authorities()
        ]
        choice_field(self, "offence_category").choices = [("", "—")] + [
            (c.code, c.name) for c in Category.objects.order_by("sort_order", "name")
        ]
        choice_field(self, "source_timezone").choices = [(z, z) for z in sorted(iana_time_zones())]
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.now().strftime(_LOCAL_FORMAT))

    def clean_case_ids(self) -> tuple[int, ...]:
        raw = self.cleaned_data.get("case_ids", "")
        ids: list[int] = []
        for part in _CASE_IDS.split(raw.strip()):
            part = part.removeprefix("#")
            if not part:
                continue
            # isdigit() alone accepts "¹" or "٣", which int() then refuses or reads otherwise.
            if not (part.isascii() and part.isdigit()) or len(part) > 18:
                raise forms.ValidationError(_("Give case numbers, such as 12, 15."))
            ids.append(int(part))
        return tuple(ids)

    def to_input(self) -> RequestInput:
        data = self.cleaned_data
        return RequestInput(
            instrument=data["instrument"],
            authority_id=data["authority"],
            issuer_type=data["issuer_type"],
            issuing_file_number=data["issuing_file_number"],
            validating_file_number=data.get("validating_file_number", ""),
            channel=data["channel"],
            received_at=data["received_at"],
            legal_basis=data["legal_basis"],
            offence_category=data["offence_category"],
            offence_description=data["offence_description"],
            statement_of_reasons=data["statement_of_reasons"],
            data_requested=tuple(data.get("data_requested") or ()),
            date_from=data["date_from"],
            date_to=data["date_to"],
            source_timezone=data["source_timezone"],
            targets=tuple(data["targets"].splitlines()),
            case_ids=data["case_ids"],
            emergency=data.get("emergency", False),
            emergency_justification=data.get("emergency_justification", ""),
            nondisclosure=data.get("nondisclosure") or LegalRequest.NonDisclosure.NONE,
            nondisclosure_expires_at=data.get("nondisclosure_expires_at"),
        )


class NondisclosureReviewForm(VersionForm):
    """The periodic review of a non-disclosure order (one with an end date can only be lifted)."""

    outcome = forms.ChoiceField(
        label=_("Outcome of the review"),
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the authority or the court said, e.g. a court order extending it."),
    )
    expires_at = forms.DateTimeField(
        label=_("End date (UTC)"),
        widget=_datetime_widget(),
        input_formats=[_LOCAL_FORMAT],
        required=False,
        help_text=_("Only when the order now ends on a date."),
    )

    def __init__(self, *args: Any, indefinite: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "ndo")
        super().__init__(*args, **kwargs)
        if not indefinite:
            choice_field(self, "outcome").choices = [
                (ReviewOutcome.LIFTED, ReviewOutcome.LIFTED.label)
            ]
            del self.fields["expires_at"]


STATUS_FILTERS = [
    ("", _("All")),
    ("open", _("Open")),
    ("finished", _("Finished")),
    *LegalRequest.Status.choices,
]


class RequestFilterForm(forms.Form):
    """Reads the request list's query string; unknown values are errors, never a crash."""

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    instrument = forms.ChoiceField(
        label=_("Instrument"),
        choices=[("", _("All")), *LegalRequest.Instrument.choices],
        required=False,
    )
    country = forms.RegexField(
        label=_("Authority country"),
        regex=r"^\s*([A-Za-z]{2})?\s*$",
        required=False,
        max_length=2,
        widget=forms.TextInput(attrs={"size": 3, "placeholder": "FR"}),
        error_messages={"invalid": _("Use a two-letter country code such as FR.")},
    )
    cursor = forms.RegexField(regex=r"^\d_-?\d+_\d+$", required=False, widget=forms.HiddenInput)

    def filters(self) -> RequestFilters:
        if not self.is_bound or not self.is_valid():
            return RequestFilters()
        data = self.cleaned_data
        return RequestFilters(
            status=data.get("status") or "",
            instrument=data.get("instrument") or "",
            country=(data.get("country") or "").strip().upper(),
        )

    def cursor_value(self) -> RequestCursor | None:
        if not self.is_bound or not self.is_valid():
            return None
        return RequestCursor.decode(self.cleaned_data.get("cursor"))


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
