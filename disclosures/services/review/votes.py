"""Four-eyes votes on the frozen scope: approve or reject."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

import audit
from accounts import reauth
from accounts.permissions import cooling_off_refusal
from disclosures import permissions
from disclosures.exceptions import (
    DisclosureError,
    ReauthenticationRequired,
    ScopeMismatch,
    SeparationOfDutiesViolation,
)
from disclosures.models import (
    Approval,
    LegalRequest,
    Scope,
)
from disclosures.selectors.review import live_scope
from disclosures.services.evidence_holds import request_evidence_release
from disclosures.services.review.common import (
    Status,
    expect_status,
    require_role,
    required_text,
)
from disclosures.services.review.gates import data_gate, violation_gate
from disclosures.services.workflow import (
    approvals_needed,
    records_denials,
    request_lock,
    request_transition,
)

if TYPE_CHECKING:
    from accounts.models import User


def _vote_guards(
    *, legal_request: LegalRequest, actor: User, scope_hash: str, reauthenticated_at: int | None
) -> Scope:
    """Everything a vote must satisfy, in the order a person can fix them."""
    if refusal := cooling_off_refusal(actor):
        raise SeparationOfDutiesViolation(refusal)
    scope = live_scope(legal_request)
    if scope is None or scope.scope_hash != (scope_hash or "").strip().lower():
        raise ScopeMismatch(
            _("The scope changed since you loaded it: review the scope shown now and vote again.")
        )
    if actor.pk == scope.prepared_by_id:
        raise SeparationOfDutiesViolation(_("You prepared this scope: someone else must vote."))
    if actor.pk == legal_request.created_by_id:
        raise SeparationOfDutiesViolation(_("You registered this request: someone else must vote."))
    if Approval.objects.filter(scope=scope, approver=actor, voided_at__isnull=True).exists():
        raise SeparationOfDutiesViolation(
            _("You already voted on this scope: another approver must vote.")
        )
    if not reauth.is_fresh(reauthenticated_at):
        raise ReauthenticationRequired(
            _("Confirm your password again: voting needs a fresh authentication.")
        )
    return scope


@records_denials
def request_approve(
    *,
    request_id: int,
    actor: User,
    scope_hash: str,
    reauthenticated_at: int | None,
    expected_version: int | None = None,
) -> Approval:
    """
    Approve the live scope, identified by the hash the approver saw.

    Neither the scope's preparer nor the request's registrar may vote; one vote per
    approver; a fresh re-authentication is required. Each vote re-evaluates every target's
    terms-violation link and the data pinned at freeze: a link lost or data changed since
    sends the request back to review (committed, audited) and refuses the vote. When the
    distinct approvals reach `approvals_needed` (two for emergencies) the request becomes
    approved. Concurrent votes are serialised by the request's row lock: a vote arriving
    after the request was approved is refused as an invalid transition.
    """
    with transaction.atomic(durable=True):
        outcome = _approve(
            request_id=request_id,
            actor=actor,
            scope_hash=scope_hash,
            reauthenticated_at=reauthenticated_at,
            expected_version=expected_version,
        )
    if isinstance(outcome, DisclosureError):
        raise outcome
    return outcome


def _approve(
    *,
    request_id: int,
    actor: User,
    scope_hash: str,
    reauthenticated_at: int | None,
    expected_version: int | None,
) -> Approval | DisclosureError:
    require_role(permissions.can_approve(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.PENDING_APPROVAL, to=Status.APPROVED)
    scope = _vote_guards(
        legal_request=request,
        actor=actor,
        scope_hash=scope_hash,
        reauthenticated_at=reauthenticated_at,
    )
    refusal = violation_gate(
        legal_request=request, actor=actor, gate="approval", scope=scope, require_decided=False
    )
    if refusal is None:
        refusal = data_gate(legal_request=request, actor=actor, gate="approval", scope=scope)[2]
    if refusal is not None:
        return refusal
    approval = Approval.objects.create(
        request=request,
        scope=scope,
        scope_hash=scope.scope_hash,
        approver=actor,
        decision=Approval.Decision.APPROVED,
    )
    approvers = sorted(
        set(
            Approval.objects.filter(
                scope=scope, voided_at__isnull=True, decision=Approval.Decision.APPROVED
            ).values_list("approver_id", flat=True)
        )
    )
    needed = approvals_needed(request)
    audit.record(
        action="approval.signed",
        actor=actor,
        target=request,
        data={
            "approval": approval.pk,
            "scope_hash": scope.scope_hash,
            "approvals": len(approvers),
            "needed": needed,
        },
    )
    if len(approvers) >= needed:
        request_transition(
            legal_request=request, to=Status.APPROVED, actor=actor, scope_hash=scope.scope_hash
        )
        audit.record(
            action="request.approved",
            actor=actor,
            target=request,
            data={"scope_hash": scope.scope_hash, "approvers": approvers},
        )
    return approval


@records_denials
@transaction.atomic(durable=True)
def request_reject(
    *,
    request_id: int,
    actor: User,
    scope_hash: str,
    reauthenticated_at: int | None,
    reason: str,
    expected_version: int | None = None,
) -> Approval:
    """An approver rejects the live scope: the request is rejected (outcome: rejected)."""
    require_role(permissions.can_approve(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.PENDING_APPROVAL, to=Status.REJECTED)
    reason = required_text(reason, field="reason")
    scope = _vote_guards(
        legal_request=request,
        actor=actor,
        scope_hash=scope_hash,
        reauthenticated_at=reauthenticated_at,
    )
    approval = Approval.objects.create(
        request=request,
        scope=scope,
        scope_hash=scope.scope_hash,
        approver=actor,
        decision=Approval.Decision.REJECTED,
        reason=reason,
    )
    audit.record(
        action="approval.rejected",
        actor=actor,
        target=request,
        data={
            "approval": approval.pk,
            "scope_hash": scope.scope_hash,
            "reason_hash": audit.pii_digest(reason),
        },
    )
    request.outcome = LegalRequest.Outcome.REJECTED
    request.outcome_reason = reason
    request_transition(
        legal_request=request,
        to=Status.REJECTED,
        actor=actor,
        fields=("outcome", "outcome_reason"),
        scope_hash=scope.scope_hash,
    )
    request_evidence_release(legal_request=request, actor=actor)
    return approval
