"""
Reads of the review and approval step: the checklist's current state, the live scope and its
votes, and the approvers' queue.

`mandatory_checks_passed`, `live_scope` and `approvers_of` are also what the release step
relies on: release is possible only for an approved request whose mandatory checks passed,
from its live scope, by someone who is not one of its approvers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from disclosures import checklist
from disclosures.models import Approval, AuthorityContact, LegalRequest, Scope, VerificationCheck
from disclosures.models.requests import RequestTarget
from disclosures.selectors.facts import (
    ActSummary,
    RequestFacts,
    TargetRecords,
    act_summary,
    record_counts,
    records_phrase,
    request_facts,
)
from disclosures.selectors.violations import target_links
from disclosures.services.workflow import approvals_needed

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "ActSummary",
    "RequestFacts",
    "TargetRecords",
    "act_summary",
    "record_counts",
    "records_phrase",
    "request_facts",
]

PASSED = VerificationCheck.Result.PASSED


@dataclass
class ChecklistRow:
    item: checklist.CheckItem
    mandatory: bool
    latest: VerificationCheck | None
    satisfied: bool
    history: list[VerificationCheck] = field(default_factory=list)
    # Why the row is not satisfied although it passed (A6 by a first-level verifier).
    note: str = ""


def request_for_review() -> QuerySet[LegalRequest]:
    return LegalRequest.objects.select_related("authority", "policy", "created_by")


def checks_by_code(legal_request: LegalRequest) -> dict[str, list[VerificationCheck]]:
    """Every recorded row per code, newest first (the first one is the item's result)."""
    rows: dict[str, list[VerificationCheck]] = {}
    for check in (
        VerificationCheck.objects.filter(request=legal_request)
        .select_related("performed_by")
        .order_by("code", "-id")
    ):
        rows.setdefault(check.code, []).append(check)
    return rows


def _second_level_ok(latest: dict[str, VerificationCheck]) -> bool:
    second = latest.get(checklist.SECOND_LEVEL_CODE)
    if second is None:
        return False
    first_level = {
        latest[code].performed_by_id for code in checklist.FIRST_LEVEL_CODES if code in latest
    }
    return second.performed_by_id not in first_level


def _satisfied(
    item: checklist.CheckItem,
    legal_request: LegalRequest,
    latest: dict[str, VerificationCheck],
    facts: RequestFacts,
) -> bool:
    if item.automatic:
        return facts.automatic(item.code)
    row = latest.get(item.code)
    if row is None or row.result != PASSED:
        return False
    if item.code == checklist.SECOND_LEVEL_CODE:
        return _second_level_ok(latest)
    return True


def mandatory_checks_passed(
    legal_request: LegalRequest, *, facts: RequestFacts | None = None
) -> tuple[bool, list[str]]:
    """
    Whether every check mandatory for this request passed, and the codes that did not.

    The latest row of each code counts; a mandatory check counts only when it *passed*
    ("not applicable" does not satisfy it). B-policy is decided from the policy in force at
    receipt, B8 (records exist) and B9 (each target's own terms violation) from the data
    and the moderation cases, computed now. A6 counts only when done by someone other than
    A1-A3's verifiers.
    """
    facts = facts if facts is not None else request_facts(legal_request)
    latest = {code: rows[0] for code, rows in checks_by_code(legal_request).items()}
    missing = [
        item.code
        for item in checklist.CHECKLIST
        if item.is_mandatory(emergency=legal_request.emergency)
        and not _satisfied(item, legal_request, latest, facts)
    ]
    return not missing, missing


def checklist_rows(
    legal_request: LegalRequest, *, facts: RequestFacts | None = None
) -> list[ChecklistRow]:
    facts = facts if facts is not None else request_facts(legal_request)
    by_code = checks_by_code(legal_request)
    latest = {code: rows[0] for code, rows in by_code.items()}
    rows = []
    for item in checklist.CHECKLIST:
        history = by_code.get(item.code, [])
        satisfied = _satisfied(item, legal_request, latest, facts)
        note = ""
        if (
            item.code == checklist.SECOND_LEVEL_CODE
            and history
            and history[0].result == PASSED
            and not satisfied
        ):
            note = "first_level_verifier"
        rows.append(
            ChecklistRow(
                item=item,
                mandatory=item.is_mandatory(emergency=legal_request.emergency),
                latest=history[0] if history else None,
                satisfied=satisfied,
                history=history[1:],
                note=note,
            )
        )
    return rows


def live_scope(legal_request: LegalRequest | int) -> Scope | None:
    """The request's scope that is not voided (at most one, by a partial unique constraint)."""
    request_id = legal_request if isinstance(legal_request, int) else legal_request.pk
    return (
        Scope.objects.filter(request_id=request_id, voided_at__isnull=True)
        .select_related("prepared_by")
        .first()
    )


def scope_data(scope: Scope) -> dict[str, Any]:
    """The frozen scope as a dict (see services.review.scope_payload for its keys)."""
    data: dict[str, Any] = json.loads(scope.canonical_json)
    return data


def scope_pretty(scope: Scope) -> str:
    return json.dumps(scope_data(scope), indent=2, sort_keys=True, ensure_ascii=False)


def votes_on(scope: Scope) -> list[Approval]:
    """Every live vote on a scope, oldest first."""
    return list(
        Approval.objects.filter(scope=scope, voided_at__isnull=True)
        .select_related("approver")
        .order_by("decided_at", "id")
    )


def approvers_of(legal_request: LegalRequest | int) -> list[User]:
    """
    The users whose approval of the live scope counts, oldest vote first.

    The release step must refuse a releaser who is one of them.
    """
    request_id = legal_request if isinstance(legal_request, int) else legal_request.pk
    approvals = (
        Approval.objects.filter(
            request_id=request_id,
            scope__voided_at__isnull=True,
            voided_at__isnull=True,
            decision=Approval.Decision.APPROVED,
        )
        .select_related("approver")
        .order_by("decided_at", "id")
    )
    return [approval.approver for approval in approvals]


def voided_scope_count(legal_request: LegalRequest) -> int:
    return Scope.objects.filter(request=legal_request, voided_at__isnull=False).count()


def registry_contacts(legal_request: LegalRequest) -> list[AuthorityContact]:
    """Contacts of the request's authority, taken from official directories (for A3)."""
    return list(
        AuthorityContact.objects.filter(authority_id=legal_request.authority_id).order_by("id")
    )


@dataclass(frozen=True)
class TargetSummary:
    total: int
    unique: int
    linked_cases: int

    @property
    def all_resolved(self) -> bool:
        return self.total > 0 and self.unique == self.total


def target_summary(legal_request: LegalRequest) -> TargetSummary:
    counts = RequestTarget.objects.filter(request=legal_request).aggregate(
        total=Count("id"), unique=Count("id", filter=Q(resolution="unique"))
    )
    return TargetSummary(
        total=counts["total"],
        unique=counts["unique"],
        linked_cases=legal_request.linked_cases.count(),
    )


@dataclass(frozen=True)
class QueueRow:
    request: LegalRequest
    approvals: int
    needed: int
    # What `user` may do: "vote", or why not ("voted", "prepared", "registered").
    standing: str


def approval_queue(*, user: User) -> list[QueueRow]:
    """
    Requests waiting for a vote, soonest deadline first, each with the approvals so far,
    how many are needed, and whether `user` may vote on it.
    """
    live = Scope.objects.filter(request=OuterRef("pk"), voided_at__isnull=True)
    votes = Approval.objects.filter(
        request=OuterRef("pk"), voided_at__isnull=True, scope__voided_at__isnull=True
    )
    approved = (
        votes.filter(decision=Approval.Decision.APPROVED)
        .order_by()
        .values("request")
        .annotate(n=Count("approver", distinct=True))
        .values("n")
    )
    requests = (
        LegalRequest.objects.filter(status=LegalRequest.Status.PENDING_APPROVAL)
        .select_related("authority")
        .annotate(
            live_scope_hash=Subquery(live.values("scope_hash")[:1]),
            live_prepared_by_id=Subquery(live.values("prepared_by_id")[:1]),
            approvals_so_far=Subquery(approved[:1]),
            voted_by_user=Exists(votes.filter(approver=user)),
        )
        .order_by("deadline_at", "id")
    )
    rows = []
    for request in requests:
        if request.voted_by_user:
            standing = "voted"
        elif request.live_prepared_by_id == user.pk:
            standing = "prepared"
        elif request.created_by_id == user.pk:
            standing = "registered"
        else:
            standing = "vote"
        rows.append(
            QueueRow(
                request=request,
                approvals=request.approvals_so_far or 0,
                needed=approvals_needed(request),
                standing=standing,
            )
        )
    return rows


def release_summary(legal_request: LegalRequest) -> ActSummary | None:
    """The release's restatement, from the approved scope (no read of the data itself)."""
    scope = live_scope(legal_request)
    if scope is None:
        return None
    facts = RequestFacts(
        links=target_links(legal_request), counts=scope.record_counts, policy_covers=True
    )
    return act_summary(legal_request, facts=facts, scope=scope)
