"""
Arrangement shared by the disclosure tests: requests at each stage of review and release,
and the intake form's data. Fixtures live in conftest.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from accounts.models import User
from accounts.reauth import SESSION_KEY
from accounts.roles import Role
from accounts.services import user_create
from audit.models import AuditEvent
from disclosures import checklist
from disclosures.checklist import CHECKLIST
from disclosures.models import (
    Approval,
    LegalRequest,
    RequestTarget,
    Scope,
    VerificationCheck,
)
from disclosures.services import release, review
from disclosures.services.intake import RequestInput
from disclosures.services.pii import pii_unmask
from disclosures.services.review.scope import scope_freeze_fields
from moderation.models import Case, PlatformAccount
from tests.disclosures.factories import (
    add_contact,
    give_subscriber_data,
    make_account,
    make_request,
)
from tests.moderation.factories import make_case

FROM = datetime(2026, 10, 1, tzinfo=UTC)
TO = datetime(2026, 11, 1, tzinfo=UTC)
INSIDE = datetime(2026, 10, 5, 12, 30, tzinfo=UTC)
PHONE = "+33612345678"


def pass_mandatory_checks(legal_request: LegalRequest, by, second=None) -> None:
    """Every mandatory check passed (A6, for emergencies, by someone other than A1-A3's)."""
    for item in CHECKLIST:
        if item.automatic or not item.is_mandatory(emergency=legal_request.emergency):
            continue
        VerificationCheck.objects.create(
            request=legal_request,
            code=item.code,
            result=VerificationCheck.Result.PASSED,
            evidence="checked",
            performed_by=second if item.code == "A6" and second else by,
        )


def approve(legal_request: LegalRequest, *, prepared_by, approvers) -> Scope:
    """Freeze the request's scope as review does (data pinned) and record approvals of it."""
    fields = scope_freeze_fields(legal_request)
    fields.pop("pins")
    scope = Scope.objects.create(request=legal_request, prepared_by=prepared_by, **fields)
    digest = scope.scope_hash
    for user in approvers:
        Approval.objects.create(
            request=legal_request,
            scope=scope,
            scope_hash=digest,
            approver=user,
            decision=Approval.Decision.APPROVED,
        )
    return scope


def approved_request(legal, approvers, *, accounts=None, checks=True, **overrides):
    """An approved request over `accounts` (each with a phone and IPs in and out of range)."""
    if accounts is None:
        accounts = [make_account(), make_account()]
        for n, account in enumerate(accounts):
            give_subscriber_data(
                account,
                phone=f"+3361234567{n}",
                ips=[
                    (f"203.0.113.{n + 1}", 51000 + n, INSIDE),
                    ("2001:db8::1", None, INSIDE + timedelta(days=1)),
                    ("198.51.100.9", 443, FROM - timedelta(microseconds=1)),
                    ("198.51.100.10", 443, TO),
                ],
            )
    request = make_request(
        created_by=legal,
        status=LegalRequest.Status.APPROVED,
        accounts=accounts,
        date_from=FROM,
        date_to=TO,
        **overrides,
    )
    if checks:
        second = None
        if request.emergency:  # A6 is done by someone other than A1-A3's verifier
            second = user_create(
                username=f"second-{request.pk}",
                password="correct-horse-42",
                roles=[Role.LEGAL_OFFICER],
            )
        pass_mandatory_checks(request, legal, second=second)
    approve(request, prepared_by=legal, approvers=approvers)
    return request


def now_ts() -> int:
    return int(time.time())


def built(legal, approver, *, second_approver=None, **kwargs):
    approvers = [approver, second_approver] if second_approver else [approver]
    request = approved_request(legal, approvers, **kwargs)
    package = release.package_build(request_id=request.pk, actor=legal)
    return request, package


def released(legal, approver, **kwargs):
    request, package = built(legal, approver, **kwargs)
    release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())
    package.refresh_from_db()
    request.refresh_from_db()
    return request, package


def fresh(client):
    session = client.session
    session[SESSION_KEY] = now_ts()
    session.save()
    return client


def pass_checks(legal_request: LegalRequest, by: User, *, second: User | None = None) -> None:
    """Write a passed row for every mandatory check (A6 by `second`, if given), directly."""
    for code in checklist.mandatory_codes(emergency=legal_request.emergency):
        item = checklist.ITEMS[code]
        if item.automatic or (code == checklist.SECOND_LEVEL_CODE and second is None):
            continue
        performer = second if code == checklist.SECOND_LEVEL_CODE else by
        VerificationCheck.objects.create(
            request=legal_request,
            code=code,
            result=VerificationCheck.Result.PASSED,
            evidence=f"{code} ok",
            performed_by=performer,
        )


def with_records(legal_request: LegalRequest) -> LegalRequest:
    """Give every target account a phone number and an IP record inside the request's range."""
    for n, target in enumerate(legal_request.targets.filter(account__isnull=False)):
        give_subscriber_data(
            target.account,
            phone=f"+3369{legal_request.pk % 1000:03d}{n:04d}",
            ips=[("203.0.113.7", 51000 + n, legal_request.date_from + timedelta(days=1))],
        )
    return legal_request


def submitted_request(
    *, registrar: User, preparer: User | None = None, second: User | None = None, **overrides
):
    """A request pending approval, its scope frozen through the service by `preparer`."""
    preparer = preparer or registrar
    request = with_records(
        make_request(created_by=registrar, status=LegalRequest.Status.IN_REVIEW, **overrides)
    )
    pass_checks(request, preparer, second=second)
    scope = review.scope_submit(request_id=request.pk, actor=preparer)
    request.refresh_from_db()
    return request, scope


def snapshot(legal_request: LegalRequest) -> tuple[str, int, int, int, int]:
    """What a refused operation must leave untouched."""
    legal_request.refresh_from_db()
    return (
        legal_request.status,
        legal_request.version,
        AuditEvent.objects.count(),
        Scope.objects.filter(request=legal_request).count(),
        Approval.objects.filter(request=legal_request).count(),
    )


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"


def stored_files(private_storage) -> list:
    folder = private_storage / "documents"
    return sorted(folder.iterdir()) if folder.exists() else []


def nothing_written(private_storage) -> None:
    """A refused registration left no request, target, audit event or stored file behind."""
    assert not LegalRequest.objects.exists()
    assert not RequestTarget.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["request.received", "document.stored"])
    assert stored_files(private_storage) == []


def request_events(action: str, legal_request: LegalRequest | None = None):
    """The trail's `action` events, about `legal_request` when one is given (a queryset)."""
    found = AuditEvent.objects.filter(action=action)
    if legal_request is not None:
        found = found.filter(
            target_type="disclosures.legalrequest", target_id=str(legal_request.pk)
        )
    return found


def upload(content: bytes = PDF, name: str = "order.pdf", content_type: str = "application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def escalated_case(account, **overrides: Any) -> Case:
    """A moderation case about the account, escalated to legal."""
    case = make_case(subject__author_id=account.platform_id, **overrides)
    Case.objects.filter(pk=case.pk).update(escalation=Case.Escalation.LEGAL, status="legal")
    return case


def form_data(valid: RequestInput, **overrides: Any) -> dict[str, Any]:
    data = {
        "instrument": valid.instrument,
        "authority": valid.authority_id,
        "issuer_type": valid.issuer_type,
        "issuing_file_number": valid.issuing_file_number,
        "validating_file_number": "",
        "channel": valid.channel,
        "received_at": valid.received_at.strftime("%Y-%m-%dT%H:%M"),
        "legal_basis": valid.legal_basis,
        "offence_category": valid.offence_category,
        "offence_description": valid.offence_description,
        "statement_of_reasons": valid.statement_of_reasons,
        "data_requested": list(valid.data_requested),
        "source_timezone": valid.source_timezone,
        "date_from": "2026-10-01T00:00",
        "date_to": "2026-11-01T00:00",
        "targets": "\n".join(valid.targets),
        "case_ids": ", ".join(str(n) for n in valid.case_ids),
        "nondisclosure": "none",
        "nondisclosure_expires_at": "",
        "emergency_justification": "",
    }
    data.update(overrides)
    return data


def reviewable_request(*, by: User, status: str = LegalRequest.Status.IN_REVIEW, **overrides: Any):
    """A request ready to be checked: a registry contact and a linked moderation case."""
    request = with_records(make_request(created_by=by, status=status, **overrides))
    add_contact(request.authority, verified_by=by)
    request.linked_cases.add(make_case())  # a case about someone else: never a link
    return request


def unmask(
    actor: User, account: PlatformAccount, *, purpose: str, default_reason: str, **overrides: Any
) -> str:
    """
    Unmask the account's phone number through the service, for `purpose`. The basis is
    `default_reason` unless the call names a request (`request_id`); `overrides` replace any
    argument, the reason included. A test module binds its own purpose and reason once
    (functools.partial).
    """
    arguments: dict[str, Any] = {
        "actor": actor,
        "account_id": account.pk,
        "field": "phone",
        "record_id": None,
        "purpose": purpose,
        "request_id": None,
        "reason": "" if overrides.get("request_id") else default_reason,
    }
    arguments.update(overrides)
    return pii_unmask(**arguments)
