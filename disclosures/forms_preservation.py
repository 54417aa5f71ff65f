"""
Forms of the preservation holds: place, extend, release. Each carries the request version it
was rendered with and an explicit confirmation whose label restates what will happen, so a
hold is never placed, prolonged or lifted by a stray click.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from disclosures.forms_review import VersionForm
from disclosures.models import DataCategory, LegalRequest
from disclosures.services.preservation import REASON_MAX, extension_period, preservation_period

CONFIRM_REQUIRED = _lazy("Tick the box to confirm what this will do.")


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class _ConfirmForm(VersionForm):
    confirm = forms.BooleanField(
        required=True, error_messages={"required": CONFIRM_REQUIRED}, label=""
    )

    def restate(self, text: str) -> None:
        self.fields["confirm"].label = text


class HoldPlaceForm(_ConfirmForm):
    def __init__(
        self, *args: Any, legal_request: LegalRequest, accounts: int, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", "hold-place")
        super().__init__(*args, **kwargs)
        period = preservation_period(legal_request.instrument)
        labels = dict(DataCategory.choices)
        categories = ", ".join(
            str(labels.get(c, c)) for c in sorted(set(legal_request.data_requested or []))
        )
        self.restate(
            ngettext(
                "Hold the records (%(categories)s) of %(n)d account from %(start)s to %(end)s "
                "for %(days)d days, until about %(until)s. They are kept out of every purge; "
                "nothing is produced or sent to the authority.",
                "Hold the records (%(categories)s) of %(n)d accounts from %(start)s to %(end)s "
                "for %(days)d days, until about %(until)s. They are kept out of every purge; "
                "nothing is produced or sent to the authority.",
                accounts,
            )
            % {
                "categories": categories,
                "n": accounts,
                "start": _day(legal_request.date_from),
                "end": _day(legal_request.date_to),
                "days": period.days,
                "until": _day(timezone.now() + period),
            }
        )


class _ReasonConfirmForm(_ConfirmForm):
    reason = forms.CharField(
        label=_lazy("Reason"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class HoldExtendForm(_ReasonConfirmForm):
    def __init__(
        self,
        *args: Any,
        legal_request: LegalRequest,
        holds: int,
        expires_at: datetime | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "hold-extend")
        super().__init__(*args, **kwargs)
        added = extension_period(legal_request.instrument)
        self.fields["reason"].label = _("The authority's request to extend (date, reference)")
        until = _day(expires_at + added) if expires_at else "—"
        self.restate(
            ngettext(
                "Keep %(n)d hold %(days)d more days, until %(until)s. This is the one "
                "extension the order allows.",
                "Keep %(n)d holds %(days)d more days, until %(until)s. This is the one "
                "extension the order allows.",
                holds,
            )
            % {"n": holds, "days": added.days, "until": until}
        )


class HoldReleaseForm(_ReasonConfirmForm):
    def __init__(self, *args: Any, holds: int, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "hold-release")
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Why the hold ends now")
        self.restate(
            ngettext(
                "End %(n)d hold now: its records return to the normal retention and may be "
                "purged, and the request is closed.",
                "End %(n)d holds now: their records return to the normal retention and may be "
                "purged, and the request is closed.",
                holds,
            )
            % {"n": holds}
        )
