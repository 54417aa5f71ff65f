"""
Review and approval of a legal request: the verification checklist, the moves between the
review states, the frozen scope and the four-eyes vote on it.

Every function here that writes is one durable transaction that re-reads the request under a
row lock (`request_lock`), moves it only through `request_transition`, and records its audit
event in the same transaction. Refusals that are authorization decisions (role, separation
of duties, re-authentication) leave one `authz.denied` event through `records_denials`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from accounts import reauth
from disclosures import checklist, permissions
from disclosures.exceptions import (
    ChecksIncomplete,
    DisclosureError,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    ReauthenticationRequired,
    ScopeMismatch,
    SeparationOfDutiesViolation,
)
from disclosures.models import (
    Approval,
    AuthorityContact,
    DataCategory,
    LegalRequest,
    RequestTarget,
    Scope,
    VerificationCheck,
)
from disclosures.models.authorities import Authority
from disclosures.selectors.review import approvers_of, live_scope, mandatory_checks_passed
from disclosures.services.workflow import (
    approvals_needed,
    records_denials,
    request_lock,
    request_touch,
    request_transition,
)

__all__ = [
    "ChecklistClosed",
    "approvers_of",
    "canonical_json",
    "check_record",
    "denial_record",
    "live_scope",
    "mandatory_checks_passed",
    "request_approve",
    "request_ask_clarification",
    "request_close",
    "request_refuse",
    "request_reject",
    "request_reopen",
    "request_resume_review",
    "request_start_review",
    "request_withdraw",
    "scope_canonical",
    "scope_invalidate",
    "scope_payload",
    "scope_submit",
]

Status = LegalRequest.Status
Result = VerificationCheck.Result

# The checklist can be filled in until the scope is submitted.
CHECKABLE = (Status.RECEIVED, Status.IN_REVIEW, Status.CLARIFICATION)
CLOSABLE = (Status.REJECTED, Status.RELEASED, Status.WITHDRAWN)
EVIDENCE_MAX = 4000
REASON_MAX = 2000


class ChecklistClosed(DisclosureError):
    """Checks are recorded only before the scope is submitted."""


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted(_("Your role does not allow this."))


def _expect(request: LegalRequest, *statuses: str, to: str) -> None:
    """Refuse a move that the state machine allows in general but this service does not."""
    if request.status not in statuses:
        raise InvalidTransition(current=request.status, requested=to)


def _text(value: str, *, field: str, limit: int = REASON_MAX) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidRequest({field: [_("This field is required.")]})
    if len(value) > limit:
        raise InvalidRequest({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return value


# --- refusals decided at the interface -------------------------------------------------------


@transaction.atomic(durable=True)
def denial_record(*, request_id: int | str, actor: Any, operation: str) -> None:
    """
    Record a refusal that an interface decided from a role predicate before calling the
    service, with the same shape as `records_denials` gives a service's own refusals.
    """
    audit.record(
        action="authz.denied",
        actor=actor,
        target_type="disclosures.legalrequest",
        target_id=request_id,
        data={"operation": operation, "rule": NotPermitted.__name__},
    )


# --- the checklist ---------------------------------------------------------------------------


def _check_guards(
    request: LegalRequest, *, code: str, result: str, contact_id: int | None
) -> AuthorityContact | None:
    """Rules that the request's own data decides, so a person cannot tick them wrongly."""
    item = checklist.ITEMS.get(code)
    if item is None or item.automatic:
        raise InvalidRequest({"code": [_("Unknown or automatic check.")]})
    if result not in Result.values:
        raise InvalidRequest({"result": [_("Unknown result.")]})
    if result == Result.NOT_APPLICABLE and item.is_mandatory(emergency=request.emergency):
        raise InvalidRequest(
            {"result": [_("This check is mandatory for this request: it cannot be N/A.")]}
        )
    contact = None
    if code == checklist.CALLBACK_CODE and result != Result.NOT_APPLICABLE:
        contact = AuthorityContact.objects.filter(
            pk=contact_id or 0, authority_id=request.authority_id
        ).first()
        if contact is None:
            raise InvalidRequest(
                {"contact": [_("Name the registry contact of this authority that was called.")]}
            )
    if result != Result.PASSED:
        return contact
    if code in checklist.REGISTRY_CODES and request.authority.status != Authority.Status.VERIFIED:
        raise InvalidRequest(
            {"result": [_("The authority is suspended in the registry: this cannot pass.")]}
        )
    if code == checklist.TARGETS_CODE:
        targets = list(request.targets.values_list("resolution", flat=True))
        if not targets or any(r != RequestTarget.Resolution.UNIQUE for r in targets):
            raise InvalidRequest(
                {"result": [_("Not every target resolves to exactly one account.")]}
            )
    if code == checklist.CATEGORIES_CODE:
        asked = set(request.data_requested or [])
        if not asked or not asked <= set(DataCategory.values):
            raise InvalidRequest(
                {"result": [_("Only IP addresses and phone numbers can be released.")]}
            )
    if code == checklist.VIOLATION_CODE and not request.linked_cases.exists():
        raise InvalidRequest(
            {"result": [_("Link a moderation case that shows the terms violation first.")]}
        )
    return contact


def _second_level_guard(request: LegalRequest, *, actor: Any) -> None:
    first_level = set()
    for code in checklist.FIRST_LEVEL_CODES:
        latest = (
            VerificationCheck.objects.filter(request=request, code=code).order_by("-id").first()
        )
        if latest is not None:
            first_level.add(latest.performed_by_id)
    if actor.pk in first_level:
        raise SeparationOfDutiesViolation(
            _("The second-level verification must be done by someone who did not verify A1-A3.")
        )


@records_denials
@transaction.atomic(durable=True)
def check_record(
    *,
    request_id: int,
    actor: Any,
    code: str,
    result: str,
    evidence: str,
    expected_version: int | None,
    contact_id: int | None = None,
) -> VerificationCheck:
    """
    Append one checklist row; the latest row of a code is that item's result.

    The evidence is kept on the row and only its keyed hash goes to the audit trail. For A3
    the registry contact that was called (`contact_id`) is written into the evidence.
    """
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    if request.status not in CHECKABLE:
        raise ChecklistClosed(
            _(
                "Checks are recorded only while the request is received, in review or waiting "
                "for clarification."
            )
        )
    evidence = _text(evidence, field="evidence", limit=EVIDENCE_MAX)
    contact = _check_guards(request, code=code, result=result, contact_id=contact_id)
    if code == checklist.SECOND_LEVEL_CODE and result == Result.PASSED:
        _second_level_guard(request, actor=actor)
    if contact is not None:
        evidence = (
            f"Called registry contact #{contact.pk} ({contact.get_kind_display()} "
            f"{contact.value}, from {contact.directory_source}): {evidence}"
        )
    check = VerificationCheck.objects.create(
        request=request, code=code, result=result, evidence=evidence, performed_by=actor
    )
    request_touch(request=request)
    audit.record(
        action="check.recorded",
        actor=actor,
        target=request,
        data={
            "check": check.pk,
            "code": code,
            "result": result,
            "evidence_hash": audit.pii_digest(evidence),
            "contact": contact.pk if contact else None,
            "version": request.version,
        },
    )
    return check


# --- moves of the review ---------------------------------------------------------------------


@records_denials
@transaction.atomic(durable=True)
def request_start_review(
    *, request_id: int, actor: Any, expected_version: int | None = None
) -> LegalRequest:
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, Status.RECEIVED, to=Status.IN_REVIEW)
    request_transition(request=request, to=Status.IN_REVIEW, actor=actor)
    return request


@records_denials
@transaction.atomic(durable=True)
def request_ask_clarification(
    *,
    request_id: int,
    actor: Any,
    reason: str,
    note: str = "",
    expected_version: int | None = None,
) -> LegalRequest:
    """Send the request back to the authority with an Annex-III-style reason code."""
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, Status.IN_REVIEW, to=Status.CLARIFICATION)
    if reason not in checklist.ClarificationReason.values:
        raise InvalidRequest({"reason": [_("Choose a reason.")]})
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise InvalidRequest({"note": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    request_transition(
        request=request,
        to=Status.CLARIFICATION,
        actor=actor,
        reason=reason,
        note_hash=audit.pii_digest(note) if note else "",
    )
    return request


@records_denials
@transaction.atomic(durable=True)
def request_resume_review(
    *, request_id: int, actor: Any, expected_version: int | None = None
) -> LegalRequest:
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, Status.CLARIFICATION, to=Status.IN_REVIEW)
    request_transition(request=request, to=Status.IN_REVIEW, actor=actor)
    return request


@records_denials
@transaction.atomic(durable=True)
def request_refuse(
    *,
    request_id: int,
    actor: Any,
    reason_code: str,
    reason: str,
    expected_version: int | None = None,
) -> LegalRequest:
    """The reviewers refuse the request before any scope is approved (outcome: rejected)."""
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, *CHECKABLE, to=Status.REJECTED)
    if reason_code not in checklist.RefusalReason.values:
        raise InvalidRequest({"reason_code": [_("Choose a reason.")]})
    reason = _text(reason, field="reason")
    request.outcome = LegalRequest.Outcome.REJECTED
    request.outcome_reason = f"[{reason_code}] {reason}"
    request_transition(
        request=request,
        to=Status.REJECTED,
        actor=actor,
        fields=("outcome", "outcome_reason"),
        reason=reason_code,
        reason_hash=audit.pii_digest(reason),
    )
    return request


@records_denials
@transaction.atomic(durable=True)
def request_withdraw(
    *, request_id: int, actor: Any, reason: str, expected_version: int | None = None
) -> LegalRequest:
    """The authority withdrew the request: stop processing (outcome: withdrawn)."""
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, *LegalRequest.OPEN, to=Status.WITHDRAWN)
    reason = _text(reason, field="reason")
    request.outcome = LegalRequest.Outcome.WITHDRAWN
    request.outcome_reason = reason
    request_transition(
        request=request,
        to=Status.WITHDRAWN,
        actor=actor,
        fields=("outcome", "outcome_reason"),
        reason_hash=audit.pii_digest(reason),
    )
    return request


@records_denials
@transaction.atomic(durable=True)
def request_close(
    *, request_id: int, actor: Any, expected_version: int | None = None
) -> LegalRequest:
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, *CLOSABLE, to=Status.CLOSED)
    request.closed_at = timezone.now()
    request_transition(request=request, to=Status.CLOSED, actor=actor, fields=("closed_at",))
    return request


# --- the frozen scope ------------------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def scope_payload(request: LegalRequest) -> dict[str, Any]:
    """
    Exactly what may be released, built from the request as it is now.

    Keys: accounts (platform ids, sorted), categories (sorted), date_from / date_to (UTC,
    ISO 8601 with Z), recipient (authority id, name, country, channel), request (id,
    reference, version). Refused unless every target resolved to exactly one account.
    """
    targets = list(request.targets.select_related("account"))
    if not targets:
        raise ChecksIncomplete(_("The request names no target."))
    unresolved = [
        t for t in targets if t.resolution != RequestTarget.Resolution.UNIQUE or t.account is None
    ]
    if unresolved:
        raise ChecksIncomplete(
            _("%(n)d target(s) do not resolve to exactly one account.") % {"n": len(unresolved)}
        )
    categories = sorted(set(request.data_requested or []))
    if not categories or not set(categories) <= set(DataCategory.values):
        raise ChecksIncomplete(_("Only IP addresses and phone numbers can be released."))
    authority = request.authority
    return {
        "accounts": sorted({t.account.platform_id for t in targets if t.account}),
        "categories": categories,
        "date_from": _utc(request.date_from),
        "date_to": _utc(request.date_to),
        "recipient": {
            "authority_id": authority.pk,
            "name": authority.name,
            "country": authority.country,
            "channel": request.channel,
        },
        "request": {"id": request.pk, "reference": request.reference, "version": request.version},
    }


def canonical_json(payload: dict[str, Any]) -> str:
    """One exact serialisation: sorted keys, no spaces, UTF-8 characters as they are."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def scope_canonical(request: LegalRequest) -> tuple[str, str]:
    """The request's scope as canonical JSON and its SHA-256 (hex)."""
    text = canonical_json(scope_payload(request))
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def scope_invalidate(*, request: LegalRequest, actor: Any, reason: str = "") -> Scope | None:
    """
    Void the live scope and every vote on it. Runs in the caller's transaction, with the
    request already locked: any change to a request pending approval or approved calls it
    (through `request_reopen`, or directly from the service that makes the change).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("scope_invalidate must run inside the caller's transaction")
    scope = Scope.objects.select_for_update().filter(request=request, voided_at__isnull=True)
    current = scope.first()
    if current is None:
        return None
    now = timezone.now()
    voided = Approval.objects.filter(scope=current, voided_at__isnull=True).update(voided_at=now)
    current.voided_at = now
    current.save(update_fields=["voided_at"])
    audit.record(
        action="scope.invalidated",
        actor=actor,
        target=request,
        data={
            "scope": current.pk,
            "scope_hash": current.scope_hash,
            "approvals_voided": voided,
            "reason_hash": audit.pii_digest(reason) if reason else "",
        },
    )
    return current


@records_denials
@transaction.atomic(durable=True)
def scope_submit(*, request_id: int, actor: Any, expected_version: int | None = None) -> Scope:
    """
    Freeze the scope and send the request for approval, once every mandatory check passed.
    The scope records the request version the preparer saw.
    """
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, Status.IN_REVIEW, to=Status.PENDING_APPROVAL)
    passed, missing = mandatory_checks_passed(request)
    if not passed:
        raise ChecksIncomplete(
            _("These mandatory checks have not passed: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    text, digest = scope_canonical(request)
    scope_invalidate(request=request, actor=actor, reason="superseded")  # none expected
    scope = Scope.objects.create(
        request=request, canonical_json=text, scope_hash=digest, prepared_by=actor
    )
    request_transition(request=request, to=Status.PENDING_APPROVAL, actor=actor, scope_hash=digest)
    audit.record(
        action="scope.proposed",
        actor=actor,
        target=request,
        data={"scope": scope.pk, "scope_hash": digest, "needed": approvals_needed(request)},
    )
    return scope


@records_denials
@transaction.atomic(durable=True)
def request_reopen(
    *, request_id: int, actor: Any, reason: str, expected_version: int | None = None
) -> LegalRequest:
    """
    Send a request pending approval or approved back to review: something changed, or an
    approver sends it back. Voids the live scope and all its votes.
    """
    _require(permissions.can_prepare(actor) or permissions.can_approve(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, Status.PENDING_APPROVAL, Status.APPROVED, to=Status.IN_REVIEW)
    reason = _text(reason, field="reason")
    request_transition(
        request=request, to=Status.IN_REVIEW, actor=actor, reason_hash=audit.pii_digest(reason)
    )
    scope_invalidate(request=request, actor=actor, reason=reason)
    return request


# --- the four-eyes vote ----------------------------------------------------------------------


def _vote_guards(
    *, request: LegalRequest, actor: Any, scope_hash: str, reauthenticated_at: int | None
) -> Scope:
    """Everything a vote must satisfy, in the order a person can fix them."""
    scope = live_scope(request)
    if scope is None or scope.scope_hash != (scope_hash or "").strip().lower():
        raise ScopeMismatch(
            _("The scope changed since you loaded it: review the scope shown now and vote again.")
        )
    if actor.pk == scope.prepared_by_id:
        raise SeparationOfDutiesViolation(_("You prepared this scope: someone else must vote."))
    if actor.pk == request.created_by_id:
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
@transaction.atomic(durable=True)
def request_approve(
    *,
    request_id: int,
    actor: Any,
    scope_hash: str,
    reauthenticated_at: int | None,
    expected_version: int | None = None,
) -> Approval:
    """
    Approve the live scope, identified by the hash the approver saw.

    Neither the scope's preparer nor the request's registrar may vote; one vote per
    approver; a fresh re-authentication is required. When the distinct approvals reach
    `approvals_needed` (two for emergencies) the request becomes approved. Concurrent votes
    are serialised by the request's row lock: a vote arriving after the request was approved
    is refused as an invalid transition.
    """
    _require(permissions.can_approve(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, Status.PENDING_APPROVAL, to=Status.APPROVED)
    scope = _vote_guards(
        request=request, actor=actor, scope_hash=scope_hash, reauthenticated_at=reauthenticated_at
    )
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
            request=request, to=Status.APPROVED, actor=actor, scope_hash=scope.scope_hash
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
    actor: Any,
    scope_hash: str,
    reauthenticated_at: int | None,
    reason: str,
    expected_version: int | None = None,
) -> Approval:
    """An approver rejects the live scope: the request is rejected (outcome: rejected)."""
    _require(permissions.can_approve(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _expect(request, Status.PENDING_APPROVAL, to=Status.REJECTED)
    reason = _text(reason, field="reason")
    scope = _vote_guards(
        request=request, actor=actor, scope_hash=scope_hash, reauthenticated_at=reauthenticated_at
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
        request=request,
        to=Status.REJECTED,
        actor=actor,
        fields=("outcome", "outcome_reason"),
        scope_hash=scope.scope_hash,
    )
    return approval
