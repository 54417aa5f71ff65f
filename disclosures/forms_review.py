"""
Forms of the review tab. Each form carries the request version it was rendered with, so a
post made on a stale page is refused by the service instead of acting on something unseen.
Each has its own prefix: several of them share one page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from disclosures import checklist
from disclosures.models import AuthorityContact, VerificationCheck

HASH_PATTERN = r"^[0-9a-f]{64}$"


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def full_clean(self) -> None:
        super().full_clean()
        # Hidden fields have no place to show an error: say it once, above the form.
        if self.is_bound and any(
            name in self.fields and self.fields[name].widget.is_hidden for name in self.errors
        ):
            self.add_error(None, _("This form is out of date: reload the page and try again."))


class ConfirmMixin(forms.Form):
    """
    An irreversible act (freeze, send back, refusal, rejection, release, "no records found")
    is done only with an explicit confirmation of what the page restates beside the button.
    """

    confirm = forms.BooleanField(
        label=_("I have read what this will do and confirm it."),
        required=True,
        error_messages={
            "required": _("Tick the box to confirm: this step cannot be undone."),
        },
    )


class ConfirmVersionForm(ConfirmMixin, VersionForm):
    pass


class ReleaseConfirmForm(ConfirmMixin):
    """Releasing to the authority: the confirmation of what the page restates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "release")
        super().__init__(*args, **kwargs)


class CheckForm(VersionForm):
    code = forms.ChoiceField(
        label=_("Check"),
        choices=[(i.code, format_lazy("{} · {}", i.code, i.label)) for i in checklist.RECORDABLE],
    )
    result = forms.ChoiceField(label=_("Result"), choices=VerificationCheck.Result.choices)
    contact = forms.TypedChoiceField(
        label=_("Registry contact called (A3)"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Only contacts taken from an official directory are listed."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was checked, against what, and the outcome."),
    )

    def __init__(
        self, *args: Any, contacts: list[AuthorityContact] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", "check")
        super().__init__(*args, **kwargs)
        choice_field(self, "contact").choices = [("", "—")] + [
            (c.pk, f"{c.get_kind_display()}: {c.value} ({c.directory_source})")
            for c in contacts or []
        ]


class ClarificationForm(VersionForm):
    reason = forms.ChoiceField(
        label=_("Reason (Annex III)"), choices=checklist.ClarificationReason.choices
    )
    note = forms.CharField(
        label=_("What the authority must supply"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "clarify")
        super().__init__(*args, **kwargs)


class ReasonForm(VersionForm):
    """Withdrawal and reopening: a free-text reason is required."""

    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConfirmReasonForm(ConfirmMixin, ReasonForm):
    """Sending back to review: a reason and the confirmation."""


class RefuseForm(ConfirmMixin, VersionForm):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=checklist.RefusalReason.choices)
    reason = forms.CharField(
        label=_("Explanation"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "refuse")
        super().__init__(*args, **kwargs)


class VoteForm(VersionForm):
    """An approval names the scope hash the approver was shown."""

    scope_hash = forms.RegexField(regex=HASH_PATTERN, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "approve")
        super().__init__(*args, **kwargs)


class RejectVoteForm(ConfirmMixin, VoteForm):
    reason = forms.CharField(
        label=_("Why the scope is rejected"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "reject")
        super().__init__(*args, **kwargs)
