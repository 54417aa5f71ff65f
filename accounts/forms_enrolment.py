"""Forms of the enrolment links: the administrator's add form and the owner's password form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.enrolment import unprivileged_roles
from accounts.models import User


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.value) for role in unprivileged_roles()]


class UserEnrolForm(forms.ModelForm):
    """
    The admin's "Add user" form: who the person is and their unprivileged roles, never a
    password. Saving creates the account without a usable password and issues its link.
    """

    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        required=False,
        choices=_role_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Legal, audit and administrator roles are granted after the account exists, "
            "through a role grant that a second administrator approves."
        ),
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def clean_username(self) -> Any:
        # Like Django's creation form: "Noor" and "noor" would be two accounts otherwise.
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("An account with this username already exists."), code="unique"
            )
        return username


class EnrolmentPasswordForm(forms.Form):
    """The owner's new password, twice; the rules are checked by the service."""

    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
