"""Review moves of the state machine: start, clarify, resume, refuse, withdraw, close."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures import checklist, permissions
from disclosures.exceptions import (
    InvalidRequest,
)
from disclosures.models import (
    LegalRequest,
)
from disclosures.services.evidence_holds import request_evidence_release
from disclosures.services.preservation import request_holds_release
from disclosures.services.review.common import (
    CHECKABLE,
    CLOSABLE,
    REASON_MAX,
    Status,
    expect_status,
    require_role,
    required_text,
)
from disclosures.services.workflow import (
    records_denials,
    request_lock,
    request_transition,
)

if TYPE_CHECKING:
    from accounts.models import User


@records_denials
@transaction.atomic(durable=True)
def request_start_review(
    *, request_id: int, actor: User, expected_version: int | None = None
) -> LegalRequest:
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.RECEIVED, to=Status.IN_REVIEW)
    request_transition(legal_request=request, to=Status.IN_REVIEW, actor=actor)
    return request


@records_denials
@transaction.atomic(durable=True)
def request_ask_clarification(
    *,
    request_id: int,
    actor: User,
    reason: str,
    note: str = "",
    expected_version: int | None = None,
) -> LegalRequest:
    """Send the request back to the authority with an Annex-III-style reason code."""
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.IN_REVIEW, to=Status.CLARIFICATION)
    if reason not in checklist.ClarificationReason.values:
        raise InvalidRequest({"reason": [_("Choose a reason.")]})
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise InvalidRequest({"note": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    request_transition(
        legal_request=request,
        to=Status.CLARIFICATION,
        actor=actor,
        reason=reason,
        note_hash=audit.pii_digest(note) if note else "",
    )
    return request


@records_denials
@transaction.atomic(durable=True)
def request_resume_review(
    *, request_id: int, actor: User, expected_version: int | None = None
) -> LegalRequest:
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.CLARIFICATION, to=Status.IN_REVIEW)
    request_transition(legal_request=request, to=Status.IN_REVIEW, actor=actor)
    return request


@records_denials
@transaction.atomic(durable=True)
def request_refuse(
    *,
    request_id: int,
    actor: User,
    reason_code: str,
    reason: str,
    expected_version: int | None = None,
) -> LegalRequest:
    """The reviewers refuse the request before any scope is approved (outcome: rejected)."""
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, *CHECKABLE, to=Status.REJECTED)
    if reason_code not in checklist.RefusalReason.values:
        raise InvalidRequest({"reason_code": [_("Choose a reason.")]})
    reason = required_text(reason, field="reason")
    request.outcome = LegalRequest.Outcome.REJECTED
    request.outcome_reason = f"[{reason_code}] {reason}"
    request_transition(
        legal_request=request,
        to=Status.REJECTED,
        actor=actor,
        fields=("outcome", "outcome_reason"),
        reason=reason_code,
        reason_hash=audit.pii_digest(reason),
    )
    request_evidence_release(legal_request=request, actor=actor)
    return request


@records_denials
@transaction.atomic(durable=True)
def request_withdraw(
    *, request_id: int, actor: User, reason: str, expected_version: int | None = None
) -> LegalRequest:
    """The authority withdrew the request: stop processing (outcome: withdrawn)."""
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, *LegalRequest.OPEN, Status.PRESERVING, to=Status.WITHDRAWN)
    reason = required_text(reason, field="reason")
    if request.status == Status.PRESERVING:
        request_holds_release(legal_request=request, actor=actor, why="withdrawn", reason=reason)
    request.outcome = LegalRequest.Outcome.WITHDRAWN
    request.outcome_reason = reason
    request_transition(
        legal_request=request,
        to=Status.WITHDRAWN,
        actor=actor,
        fields=("outcome", "outcome_reason"),
        reason_hash=audit.pii_digest(reason),
    )
    request_evidence_release(legal_request=request, actor=actor)
    return request


@records_denials
@transaction.atomic(durable=True)
def request_close(
    *, request_id: int, actor: User, expected_version: int | None = None
) -> LegalRequest:
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, *CLOSABLE, to=Status.CLOSED)
    request.closed_at = timezone.now()
    request_transition(legal_request=request, to=Status.CLOSED, actor=actor, fields=("closed_at",))
    # Released with the refusal or withdrawal already; a released request lets go here.
    request_evidence_release(legal_request=request, actor=actor)
    return request


# --- the frozen scope ------------------------------------------------------------------------
