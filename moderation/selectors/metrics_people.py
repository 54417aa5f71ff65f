"""
Team metrics about people (moderation.selectors.metrics): decisions per moderator, appeal
outcomes, and exposure to graphic material per moderator, over a period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count

from audit.models import AuditEvent
from moderation.models import Appeal, Decision
from moderation.selectors.exposure import REVEAL, graphic_categories

if TYPE_CHECKING:
    from moderation.selectors.metrics import Period

HUMAN_ORIGINS = (Decision.Origin.MODERATOR, Decision.Origin.BULK, Decision.Origin.APPEAL)


@dataclass(frozen=True)
class ModeratorCount:
    username: str
    display: str
    decisions: int


def decisions_by_moderator(*, period: Period) -> list[ModeratorCount]:
    """Decisions taken by people in the period (automatic actions left out), most first."""
    rows = (
        Decision.objects.filter(
            created_at__gte=period.start, created_at__lt=period.now, origin__in=HUMAN_ORIGINS
        )
        .values_list("moderator__username", "moderator__first_name", "moderator__last_name")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = [
        ModeratorCount(
            username=username,
            display=f"{first} {last}".strip() or username,
            decisions=n,
        )
        for username, first, last, n in rows
    ]
    return sorted(counts, key=lambda row: (-row.decisions, row.username))


@dataclass(frozen=True)
class AppealOutcomes:
    upheld: int
    reversed: int
    modified: int

    @property
    def decided(self) -> int:
        return self.upheld + self.reversed + self.modified

    @property
    def changed(self) -> int:
        return self.reversed + self.modified

    @property
    def reversal_rate(self) -> float | None:
        """Share (0-100 %) of decided appeals that reversed or modified the decision."""
        return round(100 * self.changed / self.decided, 1) if self.decided else None


def appeal_outcomes(*, period: Period) -> AppealOutcomes:
    """Appeals decided in the period, by outcome (one grouped query)."""
    counts = dict(
        Appeal.objects.filter(decided_at__gte=period.start, decided_at__lt=period.now)
        .exclude(status=Appeal.Status.PENDING)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return AppealOutcomes(
        upheld=counts.get(Appeal.Status.UPHELD, 0),
        reversed=counts.get(Appeal.Status.REVERSED, 0),
        modified=counts.get(Appeal.Status.MODIFIED, 0),
    )


@dataclass(frozen=True)
class ExposureTotal:
    username: str
    reveals: int
    graphic_decisions: int

    @property
    def total(self) -> int:
        return self.reveals + self.graphic_decisions


def exposure_totals(*, period: Period) -> list[ExposureTotal]:
    """
    Per moderator, over the period: reveals of guarded media and decisions in graphic
    categories, as moderation.selectors.exposure counts them (two grouped queries).
    """
    reveals = (
        AuditEvent.objects.filter(
            action=REVEAL,
            occurred_at__gte=period.start,
            occurred_at__lt=period.now,
            actor__isnull=False,
        )
        .values_list("actor__username")
        .annotate(n=Count("id"))
        .order_by()
    )
    decided = (
        Decision.objects.filter(
            created_at__gte=period.start,
            created_at__lt=period.now,
            case__category__code__in=graphic_categories(),
        )
        .values_list("moderator__username")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for index, rows in enumerate((reveals, decided)):
        for username, n in rows:
            counts[username][index] = n
    totals = [ExposureTotal(username, *found) for username, found in counts.items()]
    return sorted(totals, key=lambda row: (-row.total, row.username))
