"""The checklist form: several checks recorded in one submission (review.checks_record)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from disclosures import checklist
from disclosures.forms_review import VersionForm
from disclosures.models import (
    AuthorityContact,
    VerificationCheck,
)

_CHECK_RESULTS = VerificationCheck.Result


@dataclass(frozen=True)
class CheckEntry:
    code: str
    result: str
    evidence: str
    contact_id: int | None


class ChecksForm(VersionForm):
    """
    Every check a person records, in one form: a result and its evidence per item, left empty
    for the items not checked now. What the request's own data decides (N/A on a mandatory
    item, the A3 contact, A6 by someone else than A1-A3) is told here for the whole form
    before anything is recorded; the service still decides each check.
    """

    contact = forms.TypedChoiceField(
        label=_("Registry contact called (A3)"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Only contacts taken from an official directory are listed."),
    )

    def __init__(
        self,
        *args: Any,
        contacts: list[AuthorityContact] | None = None,
        emergency: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "checks")
        super().__init__(*args, **kwargs)
        self.emergency = emergency
        self.entries: list[CheckEntry] = []
        choice_field(self, "contact").choices = [("", "—")] + [
            (c.pk, f"{c.get_kind_display()}: {c.value} ({c.directory_source})")
            for c in contacts or []
        ]
        for item in checklist.RECORDABLE:
            self.fields[f"{item.code}-result"] = forms.ChoiceField(
                label=str(item.label),
                choices=[("", _("Not checked now")), *_CHECK_RESULTS.choices],
                required=False,
            )
            self.fields[f"{item.code}-evidence"] = forms.CharField(
                label=_("Evidence"),
                max_length=4000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("What was checked, against what, and the outcome."),
            )

    def items(self) -> list[tuple[checklist.CheckItem, forms.BoundField, forms.BoundField]]:
        """Each recordable item with its result and evidence fields, in checklist order."""
        return [
            (item, self[f"{item.code}-result"], self[f"{item.code}-evidence"])
            for item in checklist.RECORDABLE
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        entries: list[CheckEntry] = []
        for item in checklist.RECORDABLE:
            result = data.get(f"{item.code}-result") or ""
            evidence = (data.get(f"{item.code}-evidence") or "").strip()
            if not result and not evidence:
                continue
            if not result:
                self.add_error(f"{item.code}-result", _("Choose the result of this check."))
                continue
            if not evidence:
                self.add_error(f"{item.code}-evidence", _("Say what was checked and how."))
                continue
            if result == _CHECK_RESULTS.NOT_APPLICABLE and item.is_mandatory(
                emergency=self.emergency
            ):
                self.add_error(
                    f"{item.code}-result",
                    _("This check is mandatory for this request: it cannot be N/A."),
                )
                continue
            contact = data.get("contact")
            if item.code == checklist.CALLBACK_CODE and result != _CHECK_RESULTS.NOT_APPLICABLE:
                if contact is None:
                    self.add_error(
                        "contact",
                        _("Name the registry contact of this authority that was called."),
                    )
                    continue
            else:
                contact = None
            entries.append(CheckEntry(item.code, result, evidence, contact))
        codes = {e.code for e in entries}
        second = next((e for e in entries if e.code == checklist.SECOND_LEVEL_CODE), None)
        if (
            second is not None
            and second.result == _CHECK_RESULTS.PASSED
            and codes & set(checklist.FIRST_LEVEL_CODES)
        ):
            self.add_error(
                f"{checklist.SECOND_LEVEL_CODE}-result",
                _(
                    "The second-level verification must be done by someone who did not verify "
                    "A1-A3: record it separately, by another person."
                ),
            )
        if not entries and not self.errors:
            self.add_error(None, _("Choose a result for at least one check."))
        self.entries = entries if not self.errors else []
        return data
