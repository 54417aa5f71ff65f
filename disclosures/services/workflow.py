"""
The request state machine's one way to move, and the bookkeeping every service shares:
locking with a version check, recording refusals as `authz.denied`, deadlines, references.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

import audit
from disclosures.exceptions import (
    InvalidTransition,
    NotPermitted,
    ReauthenticationRequired,
    SeparationOfDutiesViolation,
    StaleVersion,
)
from disclosures.models import LegalRequest

F = TypeVar("F", bound=Callable[..., Any])

# Refusals that are authorization decisions: each attempt is recorded, even though the
# operation itself is rolled back and writes nothing.
DENIALS = (SeparationOfDutiesViolation, NotPermitted, ReauthenticationRequired)


def records_denials[F: Callable[..., Any]](func: F) -> F:
    """Wrap a durable service: a refused authorization leaves one `authz.denied` event."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DENIALS as exc:
            with transaction.atomic():
                audit.record(
                    action="authz.denied",
                    actor=kwargs.get("actor"),
                    target_type="disclosures.legalrequest",
                    target_id=kwargs.get("request_id", ""),
                    data={"operation": func.__name__, "rule": type(exc).__name__},
                )
            raise

    return wrapper  # type: ignore[return-value]


def request_lock(*, request_id: int, expected_version: int | None = None) -> LegalRequest:
    """Re-read the request under a row lock; refuse if it changed since the caller saw it."""
    request = LegalRequest.objects.select_for_update().get(pk=request_id)
    if expected_version is not None and request.version != expected_version:
        raise StaleVersion
    return request


def request_transition(
    *, request: LegalRequest, to: str, actor: Any, fields: tuple[str, ...] = (), **data: Any
) -> None:
    """Move a locked request to `to` if the state machine allows it, and record the move."""
    if not request.can_transition_to(to):
        raise InvalidTransition(current=request.status, requested=to)
    previous = request.status
    request.status = to
    request.version += 1
    request.save(update_fields=["status", "version", "updated_at", *fields])
    audit.record(
        action="request.status_changed",
        actor=actor,
        target=request,
        data={"from": previous, "to": to, "version": request.version, **data},
    )


def request_touch(*, request: LegalRequest, fields: tuple[str, ...] = ()) -> None:
    """Save a change that is not a move (bumps the version so stale forms are refused)."""
    request.version += 1
    request.save(update_fields=["version", "updated_at", *fields])


def deadline_for(
    *, instrument: str, emergency: bool, received_at: datetime
) -> tuple[datetime, str]:
    """When the answer is due, and the rule that says so."""
    if emergency:
        hours = settings.EMERGENCY_DEADLINE_HOURS
        rule = "EPOC_ART10_4_8H" if instrument == "epoc" else "EMERGENCY_8H"
    else:
        hours = settings.DISCLOSURE_SLA_HOURS.get(
            instrument, settings.DISCLOSURE_SLA_HOURS["other"]
        )
        rule = "EPOC_ART10_3_10D" if instrument == "epoc" else f"SLA_{instrument.upper()}_{hours}H"
    return received_at + timedelta(hours=hours), rule


def approvals_needed(request: LegalRequest) -> int:
    return settings.EMERGENCY_APPROVALS if request.emergency else settings.STANDARD_APPROVALS
