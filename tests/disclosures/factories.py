"""
Arrangement helpers for disclosure tests. They write rows directly (not through the
services) so a test can start from any state; what is under test goes through services.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from disclosures import crypto
from disclosures.models import (
    Authority,
    AuthorityContact,
    DisclosurePolicy,
    LegalRequest,
    RequestTarget,
    SubscriberIp,
    SubscriberPhone,
)
from disclosures.services.workflow import deadline_for
from moderation.models import Case, Category, Decision, PlatformAccount, Subject

_seq = itertools.count(1)


def make_authority(**overrides: Any) -> Authority:
    n = next(_seq)
    fields = {"name": f"Tribunal judiciaire {n}", "country": "FR", "type": Authority.Type.COURT}
    fields.update(overrides)
    return Authority.objects.create(**fields)


def add_contact(authority: Authority, verified_by: User, **overrides: Any) -> AuthorityContact:
    fields = {
        "kind": AuthorityContact.Kind.PHONE,
        "value": "+33 1 44 32 50 50",
        "directory_source": "annuaire.justice.gouv.fr (2026-11-01)",
        "verified_at": timezone.now(),
        "verified_by": verified_by,
    }
    fields.update(overrides)
    return AuthorityContact.objects.create(authority=authority, **fields)


def make_account(platform_id: str | None = None, **overrides: Any) -> PlatformAccount:
    n = next(_seq)
    return PlatformAccount.objects.create(
        platform_id=platform_id or f"acct-d{n}",
        username=overrides.pop("username", f"suspect{n}"),
        **overrides,
    )


def make_violation_case(
    account: PlatformAccount,
    *,
    decided_by: User,
    category: str = "illegal_drugs",
    state: str = "decided",
) -> Case:
    """
    A moderation case about a message `account` wrote. state: "decided" (resolved, a
    violation decision in force), "pending" (escalated to legal, no decision yet),
    "cleared" (decided "no violation").
    """
    n = next(_seq)
    subject = Subject.objects.create(
        type=Subject.Type.MESSAGE,
        platform_id=f"msg-d{n}",
        author=account,
        chat_id=f"chat-d{n}",
        chat_kind=Subject.ChatKind.GROUP,
    )
    pending = state == "pending"
    case = Case.objects.create(
        subject=subject,
        subject_type=subject.type,
        category=Category.objects.get(code=category),
        status=Case.Status.LEGAL if pending else Case.Status.RESOLVED,
        escalation=Case.Escalation.LEGAL if pending else "",
        escalated_by=decided_by if pending else None,
        report_count=1,
        reporter_count=1,
        deadline_at=timezone.now() + timedelta(hours=24),
        resolved_at=None if pending else timezone.now(),
    )
    if not pending:
        Decision.objects.create(
            case=case,
            moderator=decided_by,
            actions=["remove_content"] if state == "decided" else ["no_violation"],
            ground="terms" if state == "decided" else "",
            terms_clause="Terms of Service §4.5",
            facts="The message offers narcotics for sale.",
        )
    return case


def give_subscriber_data(
    account: PlatformAccount, *, phone: str | None = "+33612345678", ips: list[tuple] = ()
) -> None:
    """ips: (address, port, seen_at) tuples."""
    if phone:
        SubscriberPhone.objects.create(
            account=account, phone=phone, phone_index=crypto.blind_index(phone, kind="phone")
        )
    for address, port, seen_at in ips:
        SubscriberIp.objects.create(
            account=account,
            ip=address,
            ip_index=crypto.blind_index(address, kind="ip"),
            port=port,
            seen_at=seen_at,
        )


def make_request(
    *, created_by: User, status: str = LegalRequest.Status.RECEIVED, **overrides: Any
) -> LegalRequest:
    """
    A complete request (policy v2, one resolved target) in any status. Each target account
    gets a linked case with a violation decided against it unless `violation_cases=False`.
    """
    n = next(_seq)
    received = overrides.pop("received_at", timezone.now() - timedelta(hours=2))
    instrument = overrides.pop("instrument", LegalRequest.Instrument.EPOC)
    emergency = overrides.pop("emergency", False)
    deadline, rule = deadline_for(instrument=instrument, emergency=emergency, received_at=received)
    accounts = overrides.pop("accounts", None)
    violation_cases = overrides.pop("violation_cases", True)
    fields: dict[str, Any] = {
        "reference": f"LR-TEST-{n:05d}",
        "instrument": instrument,
        "authority": overrides.pop("authority", None) or make_authority(),
        "issuer_type": LegalRequest.IssuerType.INVESTIGATING_JUDGE,
        "issuing_file_number": f"PARQUET-{n}",
        "channel": LegalRequest.Channel.ECODEX,
        "received_at": received,
        "legal_basis": "Regulation (EU) 2023/1543, Art. 5",
        "offence_category": "illegal_drugs",
        "offence_description": "Drug trafficking through a channel",
        "statement_of_reasons": "The account administers a channel selling narcotics.",
        "data_requested": ["ip_addresses", "phone_number"],
        "date_from": datetime(2026, 10, 1, tzinfo=UTC),
        "date_to": datetime(2026, 11, 1, tzinfo=UTC),
        "source_timezone": "Europe/Paris",
        "emergency": emergency,
        "emergency_justification": "Imminent threat to life" if emergency else "",
        "policy": DisclosurePolicy.objects.get(version=2),
        "status": status,
        "deadline_at": deadline,
        "deadline_rule": rule,
        "created_by": created_by,
    }
    fields.update(overrides)
    request = LegalRequest.objects.create(**fields)
    for account in accounts if accounts is not None else [make_account()]:
        if violation_cases:
            request.linked_cases.add(
                make_violation_case(
                    account, decided_by=created_by, category=request.offence_category
                )
            )
        RequestTarget.objects.create(
            request=request,
            kind=RequestTarget.Kind.ACCOUNT_ID,
            value=account.platform_id,
            value_index=crypto.blind_index(account.platform_id, kind="account_id"),
            account=account,
            resolution=RequestTarget.Resolution.UNIQUE,
        )
    return request
