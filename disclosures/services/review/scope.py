"""The frozen scope: its canonical form and hash, submission, invalidation, reopening."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures import checklist, permissions
from disclosures.exceptions import (
    ChecksIncomplete,
    InvalidRequest,
    NoRecordsInScope,
)
from disclosures.models import (
    Approval,
    DataCategory,
    LegalRequest,
    RequestTarget,
    Scope,
    VerificationCheck,
)
from disclosures.pins import data_pins
from disclosures.selectors.review import RequestFacts, mandatory_checks_passed, request_facts
from disclosures.selectors.violations import links_snapshot, target_links
from disclosures.services.review.common import (
    Status,
    expect_status,
    require_role,
    required_text,
)
from disclosures.services.review.gates import violation_gate
from disclosures.services.workflow import (
    approvals_needed,
    records_denials,
    request_lock,
    request_transition,
)

if TYPE_CHECKING:
    from accounts.models import User


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def scope_payload(legal_request: LegalRequest) -> dict[str, Any]:
    """
    Exactly what may be released, built from the request as it is now.

    Keys: accounts (platform ids, sorted), categories (sorted), date_from / date_to (UTC,
    ISO 8601 with Z), recipient (authority id, name, country, channel), request (id,
    reference, version). Refused unless every target resolved to exactly one account.
    """
    targets = list(legal_request.targets.select_related("account"))
    if not targets:
        raise ChecksIncomplete(_("The request names no target."))
    unresolved = [
        t for t in targets if t.resolution != RequestTarget.Resolution.UNIQUE or t.account is None
    ]
    if unresolved:
        raise ChecksIncomplete(
            _("%(n)d target(s) do not resolve to exactly one account.") % {"n": len(unresolved)}
        )
    categories = sorted(set(legal_request.data_requested or []))
    if not categories or not set(categories) <= set(DataCategory.values):
        raise ChecksIncomplete(_("Only IP addresses and phone numbers can be released."))
    authority = legal_request.authority
    return {
        "accounts": sorted({t.account.platform_id for t in targets if t.account}),
        "categories": categories,
        "date_from": _utc(legal_request.date_from),
        "date_to": _utc(legal_request.date_to),
        "recipient": {
            "authority_id": authority.pk,
            "name": authority.name,
            "country": authority.country,
            "channel": legal_request.channel,
        },
        "request": {
            "id": legal_request.pk,
            "reference": legal_request.reference,
            "version": legal_request.version,
        },
    }


def scope_freeze_fields(legal_request: LegalRequest) -> dict[str, Any]:
    """
    Everything a frozen scope stores: the canonical JSON and its hash, which now cover the
    data (a digest of the exact records in scope and their counts per target and category)
    and each target's terms-violation cases, plus the per-record fingerprints kept beside it.
    """
    payload = scope_payload(legal_request)
    pins = data_pins(payload)
    links = links_snapshot(target_links(legal_request))
    payload["data"] = {"digest": pins.digest, "records": pins.counts}
    payload["violations"] = links
    text = canonical_json(payload)
    return {
        "canonical_json": text,
        "scope_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "data_digest": pins.digest,
        "record_counts": pins.counts,
        "record_fingerprints": pins.fingerprints,
        "violation_links": links,
        "pins": pins,
    }


def canonical_json(payload: dict[str, Any]) -> str:
    """One exact serialisation: sorted keys, no spaces, UTF-8 characters as they are."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def scope_canonical(legal_request: LegalRequest) -> tuple[str, str]:
    """The request's scope, with its pinned data, as canonical JSON and its SHA-256 (hex)."""
    fields = scope_freeze_fields(legal_request)
    return fields["canonical_json"], fields["scope_hash"]


def scope_invalidate(*, legal_request: LegalRequest, actor: User, reason: str = "") -> Scope | None:
    """
    Void the live scope and every vote on it. Runs in the caller's transaction, with the
    request already locked: any change to a request pending approval or approved calls it
    (through `request_reopen`, or directly from the service that makes the change).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("scope_invalidate must run inside the caller's transaction")
    scope = Scope.objects.select_for_update().filter(request=legal_request, voided_at__isnull=True)
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
        target=legal_request,
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
def scope_submit(*, request_id: int, actor: User, expected_version: int | None = None) -> Scope:
    """
    Freeze the scope and send the request for approval, once every mandatory check passed.

    The system decides B9 (each target's own terms violation) and B8 (records exist) now:
    a target without a link is named in the refusal, and a scope without any record points
    to "no records found". A refusal writes nothing. On success both computed checks are
    recorded with their evidence, and the frozen scope pins the exact records (see
    disclosures.pins), each target's violation cases and the request version the preparer saw.
    """
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.IN_REVIEW, to=Status.PENDING_APPROVAL)
    if request.is_preservation:
        raise InvalidRequest(
            {
                "__all__": [
                    _(
                        "A preservation order produces no data: place a hold on the targets' "
                        "records instead of freezing a scope."
                    )
                ]
            }
        )
    refusal = violation_gate(
        legal_request=request, actor=actor, gate="scope_freeze", scope=None, require_decided=False
    )
    if refusal is not None:
        raise refusal  # in review already: nothing to send back, nothing written
    facts = request_facts(request)
    if not facts.data_exists:
        raise NoRecordsInScope(
            _(
                "The platform holds no record of the requested categories for these targets "
                'and dates. Nothing can be released: close the request as "no records found".'
            )
        )
    passed, missing = mandatory_checks_passed(request, facts=facts)
    if not passed:
        raise ChecksIncomplete(
            _("These mandatory checks have not passed: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    fields = scope_freeze_fields(request)
    pins = fields.pop("pins")
    if not pins.total:  # the data vanished between the check and the freeze
        raise NoRecordsInScope(_("The records in scope disappeared: check the data again."))
    system_checks_record(legal_request=request, actor=actor, facts=facts, gate="scope_freeze")
    scope_invalidate(legal_request=request, actor=actor, reason="superseded")  # none expected
    scope = Scope.objects.create(request=request, prepared_by=actor, **fields)
    digest = scope.scope_hash
    request_transition(
        legal_request=request, to=Status.PENDING_APPROVAL, actor=actor, scope_hash=digest
    )
    audit.record(
        action="scope.proposed",
        actor=actor,
        target=request,
        data={
            "scope": scope.pk,
            "scope_hash": digest,
            "data_digest": pins.digest,
            "records": pins.category_totals(),
            "needed": approvals_needed(request),
        },
    )
    return scope


def system_checks_record(
    *, legal_request: LegalRequest, actor: User, facts: RequestFacts, gate: str
) -> None:
    """
    Record B8 and B9 as the system computed them, with per-target evidence (account ids,
    case ids and record counts, never values). The row names the person whose action made
    the system compute it.
    """
    link_lines = [
        f"account {t.platform_id}: {t.state} (cases "
        + (", ".join(f"#{c}" for c in t.link.cases) or "none")
        + ")"
        for t in facts.links
    ]
    count_lines = [
        f"account {account}: " + ", ".join(f"{category} {n}" for category, n in sorted(per.items()))
        for account, per in sorted(facts.counts.items())
    ]
    for code, ok, lines in (
        (checklist.VIOLATION_CODE, facts.violation_ok, link_lines),
        (checklist.DATA_CODE, facts.data_exists, count_lines),
    ):
        evidence = f"Computed by the system at {gate}. " + "; ".join(lines or ["no target"])
        check = VerificationCheck.objects.create(
            request=legal_request,
            code=code,
            result=VerificationCheck.Result.PASSED if ok else VerificationCheck.Result.FAILED,
            evidence=evidence[:4000],
            performed_by=actor,
        )
        audit.record(
            action="check.computed",
            actor=actor,
            target=legal_request,
            data={
                "check": check.pk,
                "code": code,
                "result": check.result,
                "gate": gate,
                "evidence_hash": audit.pii_digest(evidence),
            },
        )


@records_denials
@transaction.atomic(durable=True)
def request_reopen(
    *, request_id: int, actor: User, reason: str, expected_version: int | None = None
) -> LegalRequest:
    """
    Send a request pending approval or approved back to review: something changed, or an
    approver sends it back. Voids the live scope and all its votes.
    """
    require_role(permissions.can_prepare(actor) or permissions.can_approve(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.PENDING_APPROVAL, Status.APPROVED, to=Status.IN_REVIEW)
    reason = required_text(reason, field="reason")
    request_transition(
        legal_request=request,
        to=Status.IN_REVIEW,
        actor=actor,
        reason_hash=audit.pii_digest(reason),
    )
    scope_invalidate(legal_request=request, actor=actor, reason=reason)
    return request


# --- the four-eyes vote ----------------------------------------------------------------------
