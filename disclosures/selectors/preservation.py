"""
Reads of preservation holds: a request's holds panel, and the holds expiring soon (legal home).

Each is one query, whatever the number of holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Window
from django.utils import timezone

from disclosures.models import LegalRequest, PreservationHold, RequestTarget
from disclosures.services.preservation import MAX_EXTENSIONS, days_left


@dataclass(frozen=True)
class HoldRow:
    hold: PreservationHold
    days_left: int

    @property
    def active(self) -> bool:
        return self.hold.released_at is None

    @property
    def expiring_soon(self) -> bool:
        return self.active and self.days_left <= settings.PRESERVATION_REMINDER_DAYS


@dataclass(frozen=True)
class HoldsPanel:
    rows: list[HoldRow]
    active: int
    expires_at: datetime | None  # the earliest expiry of the active holds
    days_left: int | None
    # Every active hold can still take the one extension the order allows, before it expires.
    extensible: bool
    max_extensions: int = MAX_EXTENSIONS


def holds_panel(legal_request: LegalRequest | int, *, now: datetime | None = None) -> HoldsPanel:
    """The request's holds, active ones first, each with the days left before it expires."""
    now = now or timezone.now()
    request_id = legal_request if isinstance(legal_request, int) else legal_request.pk
    holds = list(
        PreservationHold.objects.filter(request_id=request_id)
        .select_related("account", "released_by", "placed_by")
        .order_by(F("released_at").asc(nulls_first=True), "account__platform_id", "pk")
    )
    rows = [HoldRow(hold=hold, days_left=days_left(hold.expires_at, now=now)) for hold in holds]
    active = [row.hold for row in rows if row.active]
    expires_at = min((hold.expires_at for hold in active), default=None)
    return HoldsPanel(
        rows=rows,
        active=len(active),
        expires_at=expires_at,
        days_left=days_left(expires_at, now=now) if expires_at else None,
        extensible=bool(active)
        and all(hold.extensions < MAX_EXTENSIONS and hold.expires_at > now for hold in active),
    )


def accounts_to_hold(legal_request: LegalRequest | int) -> int:
    """How many distinct accounts the request's resolved targets name: one hold each."""
    request_id = legal_request if isinstance(legal_request, int) else legal_request.pk
    return (
        RequestTarget.objects.filter(
            request_id=request_id,
            resolution=RequestTarget.Resolution.UNIQUE,
            account__isnull=False,
        )
        .values("account")
        .distinct()
        .count()
    )


@dataclass(frozen=True)
class HoldsExpiring:
    rows: list[HoldRow]
    total: int  # every active hold expiring soon, even when `rows` was cut short

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def holds_expiring(*, now: datetime | None = None, limit: int | None = None) -> HoldsExpiring:
    """
    Active holds that expire within `PRESERVATION_REMINDER_DAYS` (or already did and wait for
    the beat task), soonest first. One query; with `limit`, `total` still counts them all.
    """
    now = now or timezone.now()
    holds = (
        PreservationHold.objects.filter(
            released_at__isnull=True,
            expires_at__lte=now + timedelta(days=settings.PRESERVATION_REMINDER_DAYS),
        )
        .select_related("request", "account")
        .order_by("expires_at", "request_id", "pk")
    )
    if limit is None:
        found = list(holds)
        total = len(found)
    else:
        found = list(holds.annotate(expiring_total=Window(Count("id")))[:limit])
        total = found[0].expiring_total if found else 0  # type: ignore[attr-defined]
    rows = [HoldRow(hold=hold, days_left=days_left(hold.expires_at, now=now)) for hold in found]
    return HoldsExpiring(rows=rows, total=total)
