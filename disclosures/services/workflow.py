"""
The disclosure state machines' one way to move (requests, release packages, user notices,
authorities), and the bookkeeping every service shares: locking with a version check, recording
refusals as `authz.denied`, deadlines, references.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import transaction

import audit
from core.transitions import status_transition
from disclosures.exceptions import (
    AuthorityTransitionRefused,
    InvalidTransition,
    NoticeTransitionRefused,
    NotPermitted,
    PackageTransitionRefused,
    ReauthenticationRequired,
    SeparationOfDutiesViolation,
    StaleVersion,
)
from disclosures.models import Authority, LegalRequest, ReleasePackage, UserNotice

if TYPE_CHECKING:
    from accounts.models import User

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
    *,
    legal_request: LegalRequest,
    to: str,
    actor: User | None,
    fields: tuple[str, ...] = (),
    **data: Any,
) -> None:
    """Move a locked request to `to` if the state machine allows it, and record the move."""
    if not legal_request.can_transition_to(to):
        raise InvalidTransition(current=legal_request.status, requested=to)
    previous = legal_request.status
    legal_request.status = to
    legal_request.version += 1
    legal_request.save(update_fields=["status", "version", "updated_at", *fields])
    audit.record(
        action="request.status_changed",
        actor=actor,
        target=legal_request,
        data={"from": previous, "to": to, "version": legal_request.version, **data},
    )


def package_transition(*, package: ReleasePackage, to: str, fields: tuple[str, ...] = ()) -> str:
    """Move a locked package (QA, release, supersede, purge); the caller records the event."""
    return status_transition(package, to=to, fields=fields, refusal=PackageTransitionRefused)


def notice_transition(*, notice: UserNotice, to: str, fields: tuple[str, ...] = ()) -> str:
    """Send or defer a locked user notice; the caller records the event."""
    return status_transition(notice, to=to, fields=fields, refusal=NoticeTransitionRefused)


def authority_transition(*, authority: Authority, to: str, fields: tuple[str, ...] = ()) -> str:
    """Suspend or verify again a locked authority; the caller records the event."""
    return status_transition(authority, to=to, fields=fields, refusal=AuthorityTransitionRefused)


def request_touch(*, legal_request: LegalRequest, fields: tuple[str, ...] = ()) -> None:
    """Save a change that is not a move (bumps the version so stale forms are refused)."""
    legal_request.version += 1
    legal_request.save(update_fields=["version", "updated_at", *fields])


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


def approvals_needed(legal_request: LegalRequest) -> int:
    return settings.EMERGENCY_APPROVALS if legal_request.emergency else settings.STANDARD_APPROVALS
