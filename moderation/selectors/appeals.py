"""
Appeals as senior moderators read them: the queue, one appeal with its context, and the
reversal rates that show whose decisions (and which categories) do not survive appeal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from core.keyset import KeysetCursor
from moderation.models import Appeal, Decision, Report, Statement

REPORTS_SHOWN = 50
DECIDED = (Appeal.Status.UPHELD, Appeal.Status.REVERSED, Appeal.Status.MODIFIED)


@dataclass(frozen=True)
class AppealCursor(KeysetCursor):
    """Where a page ended: the row's rank (0 pending, 1 decided) and id."""

    rank: int
    id: int


@dataclass
class AppealPage:
    appeals: list[Appeal]
    next_cursor: str | None


def _queue_rows(appeals: QuerySet[Appeal]) -> QuerySet[Appeal]:
    return appeals.select_related(
        "decision__moderator",
        "decision__case__category",
        "decision__case__subject__author",
        "decided_by",
    )


def appeal_queue(
    *, status: str = "", cursor: str | None = None, size: int | None = None
) -> AppealPage:
    """
    One page of appeals: pending first, then the decided ones, oldest first in each.

    Keyset-paginated on (rank, id) and read as at most two range scans of the (status, id)
    index, pending then decided, so a deep page costs what the first one costs.
    """
    size = size or settings.QUEUE_PAGE_SIZE
    segments = [
        (0, Appeal.objects.filter(status=Appeal.Status.PENDING)),
        (1, Appeal.objects.filter(status__in=DECIDED)),
    ]
    if status:
        rank = 0 if status == Appeal.Status.PENDING else 1
        segments = [(rank, Appeal.objects.filter(status=status))]
    after = AppealCursor.decode(cursor)
    rows: list[tuple[int, Appeal]] = []
    for rank, appeals in segments:
        wanted = size + 1 - len(rows)
        if wanted <= 0 or (after and rank < after.rank):
            continue
        if after and rank == after.rank:
            appeals = appeals.filter(id__gt=after.id)
        rows += [(rank, a) for a in _queue_rows(appeals).order_by("id")[:wanted]]
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = AppealCursor(rows[-1][0], rows[-1][1].pk).encode() if more and rows else None
    return AppealPage(appeals=[a for _, a in rows], next_cursor=next_cursor)


def appeal_next_for(*, user_id: int, after: int | None = None) -> int | None:
    """
    The oldest pending appeal this senior may decide, other than `after`: never one against
    their own decision or one that decision replaced (the service checks the whole chain).
    """
    pending = (
        Appeal.objects.filter(status=Appeal.Status.PENDING)
        .exclude(decision__moderator_id=user_id)
        .exclude(decision__supersedes__moderator_id=user_id)
    )
    if after is not None:
        pending = pending.exclude(pk=after)
    return pending.order_by("id").values_list("pk", flat=True).first()


def appeal_pending_count() -> int:
    return Appeal.objects.filter(status=Appeal.Status.PENDING).count()


@dataclass
class AppealDetail:
    appeal: Appeal
    decision: Decision
    statement: Statement | None
    new_decision: Decision | None  # the replacement, when the appeal modified the decision
    prior_decisions: list[Decision]  # earlier decisions on the same case, newest first
    reports: list[Report]
    earlier_deciders: set[int] = field(default_factory=set)  # decision + what it superseded

    @property
    def appellant_is_affected(self) -> bool:
        return self.appeal.appellant_id == self.decision.case.subject.author.platform_id


def appeal_detail(*, appeal_id: int) -> AppealDetail:
    """Everything the appeal page shows; raises Appeal.DoesNotExist for an unknown id."""
    appeal = Appeal.objects.select_related(
        "decided_by",
        "decision__moderator",
        "decision__statement",
        "decision__superseded_by__moderator",
        "decision__case__category",
        "decision__case__subject__author",
    ).get(pk=appeal_id)
    decision = appeal.decision
    prior = list(
        Decision.objects.filter(case_id=decision.case_id, id__lt=decision.pk)
        .select_related("moderator")
        .order_by("-id")
    )
    by_id = {d.pk: d for d in prior}
    deciders = {decision.moderator_id}
    earlier = by_id.get(decision.supersedes_id or 0)
    while earlier is not None:
        deciders.add(earlier.moderator_id)
        earlier = by_id.get(earlier.supersedes_id or 0)
    reports = list(
        Report.objects.filter(case_id=decision.case_id)
        .select_related("reporter", "category")
        .order_by("id")[:REPORTS_SHOWN]
    )
    return AppealDetail(
        appeal=appeal,
        decision=decision,
        statement=getattr(decision, "statement", None),
        new_decision=getattr(decision, "superseded_by", None),
        prior_decisions=prior,
        reports=reports,
        earlier_deciders=deciders,
    )


@dataclass(frozen=True)
class ReversalRow:
    """Appeal outcomes for one moderator or category; rates are whole-number percents."""

    key: Any
    label: str
    appealed: int  # decisions with at least one appeal
    pending: int
    upheld: int
    reversed: int
    modified: int

    @property
    def decided(self) -> int:
        return self.upheld + self.reversed + self.modified

    @property
    def reversal_rate(self) -> int | None:
        """(reversed + modified) / decided appeals, rounded half up; None before any decision."""
        if not self.decided:
            return None
        return (200 * (self.reversed + self.modified) + self.decided) // (2 * self.decided)


@dataclass
class ReversalRates:
    by_moderator: list[ReversalRow]
    by_category: list[ReversalRow]

    @property
    def total(self) -> ReversalRow:
        rows = self.by_moderator
        return ReversalRow(
            key=None,
            label="",
            appealed=sum(r.appealed for r in rows),
            pending=sum(r.pending for r in rows),
            upheld=sum(r.upheld for r in rows),
            reversed=sum(r.reversed for r in rows),
            modified=sum(r.modified for r in rows),
        )


_OUTCOME_COUNTS = {
    "appealed": Count("decision", distinct=True),
    "pending": Count("id", filter=Q(status=Appeal.Status.PENDING)),
    "upheld": Count("id", filter=Q(status=Appeal.Status.UPHELD)),
    "reversed": Count("id", filter=Q(status=Appeal.Status.REVERSED)),
    "modified": Count("id", filter=Q(status=Appeal.Status.MODIFIED)),
}


def _rows(key: str, label: str) -> list[ReversalRow]:
    grouped = (
        Appeal.objects.values(key, label)
        .annotate(**_OUTCOME_COUNTS)
        .order_by(label, key)  # aggregates drop Meta.ordering: always order explicitly
    )
    return [
        ReversalRow(
            key=row[key],
            label=row[label],
            **{name: row[name] for name in _OUTCOME_COUNTS},
        )
        for row in grouped
    ]


def reversal_rates() -> ReversalRates:
    """
    Appeal outcomes per moderator who took the appealed decision and per case category.

    Two grouped aggregate queries, whatever the number of appeals. A moderator's decisions
    that a later appeal replaced still count against the moderator who took them.
    """
    return ReversalRates(
        by_moderator=_rows("decision__moderator_id", "decision__moderator__username"),
        by_category=_rows("decision__case__category_id", "decision__case__category__name"),
    )
