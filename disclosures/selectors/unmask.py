"""
Reads about unmaskings: what may justify one, how much of the hourly share is used, and
the auditor's view of who unmasks how much.

Unmaskings without a legal request are limited per user per hour
(`PII_UNMASK_HOURLY_LIMIT`). Attempts past the limit are kept as refused `PiiUnmask` rows:
the auditor's alarm counts them, and shows every user's volume beside them so a burst
that stays under the limit is visible too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from disclosures.models import LegalRequest, PiiUnmask, RequestTarget

if TYPE_CHECKING:
    from accounts.models import User

# Statuses in which a request may justify an unmasking: open, or holding records.
UNMASK_REQUEST_STATUSES: tuple[str, ...] = (*LegalRequest.OPEN, LegalRequest.Status.PRESERVING)
LIMIT_WINDOW = timedelta(hours=1)
ALARM_WINDOW = timedelta(days=7)
VOLUME_WINDOW = timedelta(hours=24)
OVERSIGHT_ROWS = 50
REQUEST_CHOICES = 50


def unmasks_counted_against_limit(
    *, user: User, now: datetime | None = None
) -> QuerySet[PiiUnmask]:
    """The user's unmaskings that use their hourly share: shown, without a request, recent."""
    since = (now or timezone.now()) - LIMIT_WINDOW
    return PiiUnmask.objects.filter(
        user=user, request__isnull=True, refused=False, created_at__gte=since
    )


def unmask_requests_for_account(*, account_id: int) -> list[LegalRequest]:
    """Open requests whose targets resolved to this account: the ones an unmasking may name."""
    in_scope = RequestTarget.objects.filter(
        account_id=account_id, resolution=RequestTarget.Resolution.UNIQUE
    ).values("request_id")
    return list(
        LegalRequest.objects.filter(pk__in=in_scope, status__in=UNMASK_REQUEST_STATUSES)
        .only("pk", "reference", "status")
        .order_by("-received_at", "-pk")[:REQUEST_CHOICES]
    )


@dataclass(frozen=True)
class UnmaskBudget:
    """How much of the hourly share of unmaskings without a request the user has used."""

    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


def unmask_budget(*, user: User) -> UnmaskBudget:
    used = unmasks_counted_against_limit(user=user).count()
    return UnmaskBudget(used=used, limit=settings.PII_UNMASK_HOURLY_LIMIT)


@dataclass(frozen=True)
class UnmaskUserRow:
    """One user's unmaskings: shown in the last 24 hours, refused by the limit in 7 days."""

    user_id: int
    username: str
    shown_day: int
    without_request_day: int
    refused_week: int
    last_refused_at: datetime | None


@dataclass(frozen=True)
class UnmaskOversight:
    rows: list[UnmaskUserRow]
    limit: int
    alarm_days: int
    volume_hours: int

    @property
    def refused_total(self) -> int:
        return sum(row.refused_week for row in self.rows)

    @property
    def users_refused(self) -> int:
        return sum(1 for row in self.rows if row.refused_week)

    @property
    def alarming(self) -> bool:
        return self.refused_total > 0


def unmask_oversight(*, now: datetime | None = None) -> UnmaskOversight:
    """
    Per user: unmaskings shown in the last 24 hours (and how many without a request), and
    attempts refused by the hourly limit in the last 7 days. One query, whatever the volume;
    users who refused attempts come first.
    """
    now = now or timezone.now()
    day = now - VOLUME_WINDOW
    shown = Q(refused=False, created_at__gte=day)
    rows = (
        PiiUnmask.objects.filter(created_at__gte=now - ALARM_WINDOW)
        .values("user_id", "user__username")
        .annotate(
            shown_day=Count("pk", filter=shown),
            without_request_day=Count("pk", filter=shown & Q(request__isnull=True)),
            refused_week=Count("pk", filter=Q(refused=True)),
            last_refused_at=Max("created_at", filter=Q(refused=True)),
        )
        .filter(Q(shown_day__gt=0) | Q(refused_week__gt=0))
        .order_by("-refused_week", "-shown_day", "user__username")[:OVERSIGHT_ROWS]
    )
    return UnmaskOversight(
        rows=[
            UnmaskUserRow(
                user_id=row["user_id"],
                username=row["user__username"],
                shown_day=row["shown_day"],
                without_request_day=row["without_request_day"],
                refused_week=row["refused_week"],
                last_refused_at=row["last_refused_at"],
            )
            for row in rows
        ],
        limit=settings.PII_UNMASK_HOURLY_LIMIT,
        alarm_days=ALARM_WINDOW.days,
        volume_hours=int(VOLUME_WINDOW.total_seconds() // 3600),
    )
