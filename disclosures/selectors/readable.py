"""
What the legal screens show a person instead of internal codes: the deadline rule in words,
the data categories by their names, and the frozen scope as a summary an approver can read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from disclosures.models import DataCategory, LegalRequest
from disclosures.selectors.facts import ActSummary, TargetRecords
from disclosures.selectors.review import scope_data
from moderation.models import Category

if TYPE_CHECKING:
    from disclosures.models import Scope
    from disclosures.selectors.review import ChecklistRow

_SLA_RULE = re.compile(r"^SLA_(?P<instrument>[A-Z0-9_]+)_(?P<hours>\d+)H$")


def _span(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def deadline_rule_label(rule: str) -> str:
    """The rule a deadline follows (`services.workflow.deadline_for`), in words."""
    if rule == "EPOC_ART10_3_10D":
        return _("European Production Order, Art. 10(3): 10 days")
    if rule == "EPOC_ART10_4_8H":
        return _("European Production Order emergency, Art. 10(4): 8 hours")
    if rule.startswith("EMERGENCY_") and rule.endswith("H") and rule[10:-1].isdigit():
        return _("Emergency: %(span)s") % {"span": _span(int(rule[10:-1]))}
    match = _SLA_RULE.match(rule)
    if match:
        code = match["instrument"].lower()
        label = (
            LegalRequest.Instrument(code).label
            if code in LegalRequest.Instrument.values
            else _("this instrument")
        )
        return _("Service level for %(instrument)s: %(span)s") % {
            "instrument": label,
            "span": _span(int(match["hours"])),
        }
    return _("Deadline set by the request's instrument")


def offence_label(code: str) -> str:
    """The moderation category's name of an offence code (one query)."""
    name = Category.objects.filter(code=code).values_list("name", flat=True).first()
    return name or _("a category no longer in the moderation policy")


def category_labels(codes: list[str] | tuple[str, ...]) -> list[str]:
    """Data categories by their names (an unknown one is named as such, never by its code)."""
    labels = dict(DataCategory.choices)
    return [str(labels.get(code, _("Unknown category"))) for code in codes]


def missing_check_labels(rows: list[ChecklistRow]) -> list[str]:
    """The mandatory checks not passed yet, by their names."""
    return [str(row.item.label) for row in rows if row.mandatory and not row.satisfied]


@dataclass(frozen=True)
class ChecklistProgress:
    done: int
    total: int


def checklist_progress(rows: list[ChecklistRow]) -> ChecklistProgress:
    """How many of the request's mandatory checks passed, for the "5 of 12" count."""
    mandatory = [row for row in rows if row.mandatory]
    return ChecklistProgress(done=sum(1 for r in mandatory if r.satisfied), total=len(mandatory))


@dataclass(frozen=True)
class ScopeSummary:
    """The frozen scope as an approver reads it, beside the order document and the checklist."""

    recipient: str
    channel: str
    instrument: str
    legal_basis: str
    targets: list[TargetRecords]
    categories: list[str]
    date_from: datetime | None
    date_to: datetime | None
    totals: list[str]


def _parse_utc(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def scope_summary(legal_request: LegalRequest, *, scope: Scope, act: ActSummary) -> ScopeSummary:
    """
    From the canonical scope (what the hash covers) for recipient, categories and dates; from
    the act summary (pinned at freeze) for each target's cases and record counts. No query.
    """
    data = scope_data(scope)
    recipient = data.get("recipient") or {}
    channel = str(recipient.get("channel", ""))
    channels = dict(LegalRequest.Channel.choices)
    return ScopeSummary(
        recipient=f"{recipient.get('name', '')} ({recipient.get('country', '')})",
        channel=str(channels.get(channel, _("Other channel"))),
        instrument=str(legal_request.get_instrument_display()),
        legal_basis=legal_request.legal_basis,
        targets=act.targets,
        categories=category_labels(list(data.get("categories") or [])),
        date_from=_parse_utc(data.get("date_from")),
        date_to=_parse_utc(data.get("date_to")),
        totals=act.totals_display,
    )


__all__ = [
    "ChecklistProgress",
    "ScopeSummary",
    "category_labels",
    "checklist_progress",
    "deadline_rule_label",
    "missing_check_labels",
    "offence_label",
    "scope_summary",
]
