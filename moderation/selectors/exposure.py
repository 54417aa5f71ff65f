"""
How much graphic material each moderator has been exposed to: recorded reveals of guarded
media and decisions taken in graphic categories (EXPOSURE_GRAPHIC_CATEGORIES). Counts only,
never the content; seniors see them per moderator, and "claim next" reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from audit.models import AuditEvent
from moderation.models import Decision

if TYPE_CHECKING:
    from accounts.models import User

HOUR = timedelta(hours=1)
REVEAL = "media.revealed"


@dataclass(frozen=True)
class Exposure:
    reveals: int
    graphic_decisions: int

    @property
    def total(self) -> int:
        return self.reveals + self.graphic_decisions


def graphic_categories() -> tuple[str, ...]:
    return tuple(settings.EXPOSURE_GRAPHIC_CATEGORIES)


def exposure_of(user: User, *, since: datetime) -> Exposure:
    """One moderator's exposure since a time (two indexed counts)."""
    reveals = AuditEvent.objects.filter(actor=user, action=REVEAL, occurred_at__gte=since).count()
    decided = Decision.objects.filter(
        moderator=user, created_at__gte=since, case__category__code__in=graphic_categories()
    ).count()
    return Exposure(reveals=reveals, graphic_decisions=decided)


def over_soft_cap(user: User, *, now: datetime | None = None) -> Exposure | None:
    """The last hour's exposure when it has reached the soft cap, else None."""
    exposure = exposure_of(user, since=(now or timezone.now()) - HOUR)
    return exposure if exposure.total >= settings.EXPOSURE_SOFT_CAP_PER_HOUR else None


@dataclass(frozen=True)
class ExposureRow:
    username: str
    day: Exposure
    last_hour: Exposure

    @property
    def over_cap(self) -> bool:
        return self.last_hour.total >= settings.EXPOSURE_SOFT_CAP_PER_HOUR


def exposure_by_moderator(*, now: datetime | None = None) -> list[ExposureRow]:
    """Every moderator exposed in the last 24 hours, most exposed first (four grouped queries)."""
    now = now or timezone.now()
    windows = {"day": now - timedelta(days=1), "hour": now - HOUR}
    counts: dict[str, dict[str, list[int]]] = {}
    for window, since in windows.items():
        reveals = (
            AuditEvent.objects.filter(action=REVEAL, occurred_at__gte=since, actor__isnull=False)
            .values_list("actor__username")
            .annotate(n=Count("id"))
        )
        decided = (
            Decision.objects.filter(
                created_at__gte=since,
                moderator__isnull=False,
                case__category__code__in=graphic_categories(),
            )
            .values_list("moderator__username")
            .annotate(n=Count("id"))
        )
        for index, rows in enumerate((reveals, decided)):
            for username, n in rows:
                counts.setdefault(username, {"day": [0, 0], "hour": [0, 0]})[window][index] = n
    result = [
        ExposureRow(
            username=username,
            day=Exposure(*found["day"]),
            last_hour=Exposure(*found["hour"]),
        )
        for username, found in counts.items()
    ]
    return sorted(result, key=lambda row: (-row.day.total, row.username))
