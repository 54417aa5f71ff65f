"""
Deadline reminders: at 50, 75 and 90 % of the time between receipt and deadline, and the
breach at 100 %. Each threshold is recorded once per request (a unique row), so the beat
task can run as often as it likes, or twice at once, and nobody is reminded twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db import transaction
from django.utils import timezone

import audit
from disclosures.models import DeadlineReminder, LegalRequest
from disclosures.services.workflow import request_lock

THRESHOLDS = (50, 75, 90, 100)
BREACH = 100

DeadlineState = Literal["ok", "50", "75", "90", "breached"]


def elapsed_percent(*, received_at: datetime, deadline_at: datetime, now: datetime) -> float:
    """How much of the request's time has gone, in percent (100 or more: breached)."""
    total = (deadline_at - received_at).total_seconds()
    if total <= 0:
        return 100.0
    return (now - received_at).total_seconds() * 100 / total


def thresholds_reached(*, received_at: datetime, deadline_at: datetime, now: datetime) -> list[int]:
    if now >= deadline_at:
        return list(THRESHOLDS)
    percent = elapsed_percent(received_at=received_at, deadline_at=deadline_at, now=now)
    return [t for t in THRESHOLDS if t < BREACH and percent >= t]


def deadline_state(legal_request: LegalRequest, *, now: datetime | None = None) -> DeadlineState:
    """
    Where an open request stands against its deadline: "ok", "50", "75", "90" or "breached".
    A request that is no longer open is "ok": its clock has stopped.
    """
    if not legal_request.is_open:
        return "ok"
    reached = thresholds_reached(
        received_at=legal_request.received_at,
        deadline_at=legal_request.deadline_at,
        now=now or timezone.now(),
    )
    if not reached:
        return "ok"
    top = reached[-1]
    return "breached" if top == BREACH else str(top)  # type: ignore[return-value]


def reminders_send(*, now: datetime | None = None) -> int:
    """Record the reminders due for every open request (beat task, every 5 minutes)."""
    now = now or timezone.now()
    rows = LegalRequest.objects.filter(status__in=LegalRequest.OPEN).values_list(
        "pk", "received_at", "deadline_at"
    )
    sent: dict[int, set[int]] = {}
    for request_id, threshold in DeadlineReminder.objects.filter(
        request__status__in=LegalRequest.OPEN
    ).values_list("request_id", "threshold"):
        sent.setdefault(request_id, set()).add(threshold)
    made = 0
    for request_id, received_at, deadline_at in rows.order_by("deadline_at", "pk"):
        due = thresholds_reached(received_at=received_at, deadline_at=deadline_at, now=now)
        if set(due) - sent.get(request_id, set()):
            made += request_remind(request_id=request_id, now=now)
    return made


@transaction.atomic(durable=True)
def request_remind(*, request_id: int, now: datetime) -> int:
    """Record (once each) the thresholds this request has reached; returns how many."""
    request = request_lock(request_id=request_id)
    if not request.is_open:
        return 0
    due = thresholds_reached(
        received_at=request.received_at, deadline_at=request.deadline_at, now=now
    )
    done = set(request.reminders.values_list("threshold", flat=True))
    made = 0
    for threshold in due:
        if threshold in done:
            continue
        DeadlineReminder.objects.create(request=request, threshold=threshold)
        audit.record(
            action="request.deadline_breached"
            if threshold == BREACH
            else "request.deadline_reminder",
            target=request,
            data={
                "threshold": threshold,
                "deadline_at": request.deadline_at.isoformat(),
                "emergency": request.emergency,
            },
        )
        made += 1
    return made
