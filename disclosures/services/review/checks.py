"""The verification checklist: recording checks, with their guards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

import audit
from core.errors import DomainError
from disclosures import checklist, permissions
from disclosures.exceptions import (
    InvalidRequest,
    NotPermitted,
    SeparationOfDutiesViolation,
)
from disclosures.models import (
    AuthorityContact,
    DataCategory,
    LegalRequest,
    RequestTarget,
    VerificationCheck,
)
from disclosures.models.authorities import Authority
from disclosures.services.review.common import (
    CHECKABLE,
    EVIDENCE_MAX,
    ChecklistClosed,
    Result,
    require_role,
    required_text,
)
from disclosures.services.workflow import (
    records_denials,
    request_lock,
    request_touch,
)

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic(durable=True)
def denial_record(*, request_id: int | str, actor: User, operation: str) -> None:
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
    legal_request: LegalRequest, *, code: str, result: str, contact_id: int | None
) -> AuthorityContact | None:
    """Rules that the request's own data decides, so a person cannot tick them wrongly."""
    item = checklist.ITEMS.get(code)
    if item is None or item.automatic:
        raise InvalidRequest({"code": [_("Unknown or automatic check.")]})
    if result not in Result.values:
        raise InvalidRequest({"result": [_("Unknown result.")]})
    if result == Result.NOT_APPLICABLE and item.is_mandatory(emergency=legal_request.emergency):
        raise InvalidRequest(
            {"result": [_("This check is mandatory for this request: it cannot be N/A.")]}
        )
    contact = None
    if code == checklist.CALLBACK_CODE and result != Result.NOT_APPLICABLE:
        contact = AuthorityContact.objects.filter(
            pk=contact_id or 0, authority_id=legal_request.authority_id
        ).first()
        if contact is None:
            raise InvalidRequest(
                {"contact": [_("Name the registry contact of this authority that was called.")]}
            )
    if result != Result.PASSED:
        return contact
    if (
        code in checklist.REGISTRY_CODES
        and legal_request.authority.status != Authority.Status.VERIFIED
    ):
        raise InvalidRequest(
            {"result": [_("The authority is suspended in the registry: this cannot pass.")]}
        )
    if code == checklist.TARGETS_CODE:
        targets = list(legal_request.targets.values_list("resolution", flat=True))
        if not targets or any(r != RequestTarget.Resolution.UNIQUE for r in targets):
            raise InvalidRequest(
                {"result": [_("Not every target resolves to exactly one account.")]}
            )
    if code == checklist.CATEGORIES_CODE:
        asked = set(legal_request.data_requested or [])
        if not asked or not asked <= set(DataCategory.values):
            raise InvalidRequest(
                {"result": [_("Only IP addresses and phone numbers can be released.")]}
            )
    return contact


def _second_level_guard(legal_request: LegalRequest, *, actor: User) -> None:
    first_level = set()
    for code in checklist.FIRST_LEVEL_CODES:
        latest = (
            VerificationCheck.objects.filter(request=legal_request, code=code)
            .order_by("-id")
            .first()
        )
        if latest is not None:
            first_level.add(latest.performed_by_id)
    if actor.pk in first_level:
        raise SeparationOfDutiesViolation(
            _("The second-level verification must be done by someone who did not verify A1-A3.")
        )


@dataclass(frozen=True)
class CheckEntry:
    """One checklist row to record: the item, its result, the evidence, the contact called."""

    code: str
    result: str
    evidence: str
    contact_id: int | None = None


@records_denials
@transaction.atomic(durable=True)
def check_record(
    *,
    request_id: int,
    actor: User,
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
    request = _checkable(request_id=request_id, actor=actor, expected_version=expected_version)
    return _check_write(request, actor=actor, entry=CheckEntry(code, result, evidence, contact_id))


@records_denials
@transaction.atomic(durable=True)
def checks_record(
    *,
    request_id: int,
    actor: User,
    entries: Sequence[CheckEntry],
    expected_version: int | None,
) -> list[VerificationCheck]:
    """
    Several checklist rows from one form, all or none: the first refused entry rolls back
    the others, and the error it raises names that entry (`entry_code`). One `check.recorded`
    event per row, as when they are recorded one by one.
    """
    if not entries:
        raise InvalidRequest({"checks": [_("Choose at least one check to record.")]})
    codes = [entry.code for entry in entries]
    if len(set(codes)) != len(codes):
        raise InvalidRequest({"checks": [_("Each check can be recorded once per submission.")]})
    request = _checkable(request_id=request_id, actor=actor, expected_version=expected_version)
    made = []
    for entry in entries:
        try:
            made.append(_check_write(request, actor=actor, entry=entry))
        except DomainError as exc:
            exc.entry_code = entry.code  # type: ignore[attr-defined]
            raise
    return made


def _checkable(*, request_id: int, actor: User, expected_version: int | None) -> LegalRequest:
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    if request.status not in CHECKABLE:
        raise ChecklistClosed(
            _(
                "Checks are recorded only while the request is received, in review or waiting "
                "for clarification."
            )
        )
    return request


def _check_write(request: LegalRequest, *, actor: User, entry: CheckEntry) -> VerificationCheck:
    code, result = entry.code, entry.result
    evidence = required_text(entry.evidence, field="evidence", limit=EVIDENCE_MAX)
    contact = _check_guards(request, code=code, result=result, contact_id=entry.contact_id)
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
    request_touch(legal_request=request)
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
