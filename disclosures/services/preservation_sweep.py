"""
The preservation holds' beat task: end the holds past their expiry (closing the request once
none is held) and record the reminders of holds that expire soon. It can run as often as it
likes, or twice at once: each request is handled under its row lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from disclosures.models import PreservationHold
from disclosures.services.preservation import (
    EXPIRED,
    MAX_EXTENSIONS,
    Status,
    _active_holds,
    days_left,
    preservation_evidence_release,
    request_evidence_release,
    request_lock,
    request_transition,
)


@transaction.atomic(durable=True)
def request_holds_expire(*, request_id: int, now: datetime) -> int:
    """
    End the request's holds past their expiry (released by nobody, reason "expired"); the
    request is closed once none of its holds is active. Returns how many holds ended.
    """
    request = request_lock(request_id=request_id)
    expired = [hold for hold in _active_holds(request) if hold.expires_at <= now]
    if not expired:
        return 0
    ids = [hold.pk for hold in expired]
    PreservationHold.objects.filter(pk__in=ids).update(
        released_at=now, released_by=None, release_reason=EXPIRED
    )
    preservation_evidence_release(holds=expired, actor=None)
    audit.record(
        action="preservation.released",
        actor=None,
        target=request,
        data={
            "holds": ids,
            "why": EXPIRED,
            "expires_at": max(hold.expires_at for hold in expired).isoformat(),
            "reason_hash": "",
        },
    )
    still_held = PreservationHold.objects.filter(request=request, released_at__isnull=True)
    if request.status == Status.PRESERVING and not still_held.exists():
        request.closed_at = now
        request_transition(
            legal_request=request, to=Status.CLOSED, actor=None, fields=("closed_at",), why=EXPIRED
        )
        request_evidence_release(legal_request=request, actor=None)
    return len(ids)


def _reminder_due(now: datetime) -> dict[str, Any]:
    return {
        "released_at__isnull": True,
        "reminded_at__isnull": True,
        "expires_at__gt": now,
        "expires_at__lte": now + timedelta(days=settings.PRESERVATION_REMINDER_DAYS),
    }


@transaction.atomic(durable=True)
def request_holds_remind(*, request_id: int, now: datetime) -> int:
    """
    Record (once per hold and expiry) that the request's holds expire within
    `PRESERVATION_REMINDER_DAYS`, so the authority can be asked whether to extend or follow
    with a production order. Returns how many holds were reminded of.
    """
    request = request_lock(request_id=request_id)
    due = list(
        PreservationHold.objects.select_for_update()
        .filter(request=request, **_reminder_due(now))
        .order_by("pk")
    )
    if not due:
        return 0
    ids = [hold.pk for hold in due]
    PreservationHold.objects.filter(pk__in=ids).update(reminded_at=now)
    first = min(hold.expires_at for hold in due)
    audit.record(
        action="preservation.expiry_reminder",
        actor=None,
        target=request,
        data={
            "holds": ids,
            "expires_at": first.isoformat(),
            "days_left": days_left(first, now=now),
            "extensions_left": max(0, MAX_EXTENSIONS - max(hold.extensions for hold in due)),
        },
    )
    return len(ids)


def holds_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """End the holds past expiry, then remind of those expiring soon (beat task, hourly)."""
    now = now or timezone.now()
    expiring = (
        PreservationHold.objects.filter(released_at__isnull=True, expires_at__lte=now)
        .values_list("request_id", flat=True)
        .distinct()
        .order_by("request_id")
    )
    expired = sum(request_holds_expire(request_id=pk, now=now) for pk in list(expiring))
    reminding = (
        PreservationHold.objects.filter(**_reminder_due(now))
        .values_list("request_id", flat=True)
        .distinct()
        .order_by("request_id")
    )
    reminded = sum(request_holds_remind(request_id=pk, now=now) for pk in list(reminding))
    return {"expired": expired, "reminded": reminded}
