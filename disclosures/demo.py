"""
Demo legal work: authorities, subscriber data and requests in every state, built through
the real services (intake, checks, scope, four-eyes approval, release). Deterministic and
idempotent: it does nothing when the demo requests already exist.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from disclosures.demo_plans import AUTHORITIES, PDF, PLANS, Plan
from disclosures.models import Authority, AuthorityContact, LegalRequest
from disclosures.services import authorities as authority_services
from disclosures.services import release, review
from disclosures.services.intake import RequestInput, request_acknowledge, request_register
from disclosures.services.subscriber_data import SubscriberRow, subscriber_data_ingest
from moderation.models import Decision


def _authorities(legal: User) -> list[Authority]:
    made = []
    for name, country, kind, phone, directory in AUTHORITIES:
        authority = Authority.objects.filter(name=name, country=country).first()
        if authority is None:
            authority = authority_services.authority_create(
                actor=legal,
                data=authority_services.AuthorityInput(name=name, country=country, type=kind),
            )
            authority_services.authority_contact_add(
                authority_id=authority.pk,
                actor=legal,
                data=authority_services.ContactInput(
                    kind=AuthorityContact.Kind.PHONE,
                    value=phone,
                    directory_source=f"{directory} (checked 2026-11-02)",
                ),
            )
        made.append(authority)
    if not Authority.objects.filter(status=Authority.Status.SUSPENDED).exists():
        rogue = authority_services.authority_create(
            actor=legal,
            data=authority_services.AuthorityInput(
                name="County Sheriff's Office (unverified mailbox)", country="US", type="police"
            ),
        )
        authority_services.authority_set_status(
            authority_id=rogue.pk,
            actor=legal,
            status=Authority.Status.SUSPENDED,
            reason="Emergency requests from a compromised mailbox failed callback verification.",
        )
    return made


def _suspects() -> list[tuple[str, int]]:
    """(account platform id, case id) of authors whose violation a decision in force shows."""
    seen: dict[str, int] = {}
    decisions = (
        Decision.objects.filter(status=Decision.Status.IN_FORCE)
        .exclude(actions=["no_violation"])
        .select_related("case__subject__author")
        .order_by("id")
    )
    for decision in decisions:
        seen.setdefault(decision.case.subject.author.platform_id, decision.case_id)
    return list(seen.items())


def _subscriber_data(suspects: list[tuple[str, int]]) -> None:
    rng = random.Random(7)
    rows = []
    now = timezone.now()
    for i, (account, _case) in enumerate(suspects):
        rows.append(SubscriberRow(account_id=account, phone=f"+3361{i:07d}"[:12]))
        for j in range(8):
            seen = now - timedelta(days=rng.uniform(1, 120), minutes=j)
            ip = (
                f"203.0.113.{rng.randint(1, 254)}"
                if j % 3
                else f"2001:db8:{rng.randint(1, 9999):x}::{rng.randint(1, 9999):x}"
            )
            rows.append(
                SubscriberRow(
                    account_id=account,
                    ip=ip,
                    port=rng.randint(1024, 65000),
                    seen_at=seen.isoformat(),
                )
            )
    subscriber_data_ingest(rows=rows, source="demo")


def _register(
    plan: Plan, authority: Authority, suspect: tuple[str, int], legal: User
) -> LegalRequest:
    received = timezone.now() - timedelta(days=plan.received_days_ago)
    expires = (
        timezone.now() + timedelta(days=plan.nondisclosure_days)
        if plan.nondisclosure_days
        else None
    )
    return request_register(
        actor=legal,
        data=RequestInput(
            instrument=plan.instrument,
            authority_id=authority.pk,
            issuer_type=plan.issuer,
            issuing_file_number=f"{authority.country}-2026-{abs(hash(plan.name)) % 90000 + 10000}",
            channel="ecodex" if plan.instrument == "epoc" else "portal",
            received_at=received,
            legal_basis={
                "epoc": "Regulation (EU) 2023/1543, Art. 5",
                "dsa_art10": "Regulation (EU) 2022/2065, Art. 10",
                "fr_77_1_1": "Code de procédure pénale, art. 77-1-1",
                "fr_60_1": "Code de procédure pénale, art. 60-1",
            }.get(plan.instrument, "18 U.S.C. § 2703"),
            offence_category=plan.offence,
            offence_description=f"Investigation into {plan.offence.replace('_', ' ')} on the platform.",
            statement_of_reasons=(
                "The account is a suspect: the moderation case shows it used the platform for the "
                "offence. Its IP addresses and phone number are needed to identify the user."
            ),
            data_requested=plan.data,
            date_from=plan.period[0],
            date_to=plan.period[1],
            source_timezone="Europe/Paris" if authority.country != "US" else "America/New_York",
            targets=(f"account_id:{suspect[0]}",)
            + (("username:ghost_account_404",) if plan.name == "review" else ()),
            case_ids=(suspect[1],),
            emergency=plan.emergency,
            emergency_justification=(
                "Credible threat to kill a named person at a school tomorrow morning."
                if plan.emergency
                else ""
            ),
            nondisclosure=plan.nondisclosure,
            nondisclosure_expires_at=expires,
        ),
        document=SimpleUploadedFile(f"{plan.name}-order.pdf", PDF, content_type="application/pdf"),
    )


def _checks(legal_request: LegalRequest, legal: User, legal2: User) -> None:
    contact = legal_request.authority.contacts.first()
    evidence = {
        "A1": "Received through the expected channel for this instrument.",
        "A2": "Sender identity matches the registry entry.",
        "A3": f"Called back {contact.value if contact else 'the registry number'}; the clerk confirmed the order.",
        "A6": "Second verification by a different officer: confirmed with the duty prosecutor.",
    }
    from disclosures.checklist import CHECKLIST

    for item in CHECKLIST:
        # B-policy, B8 and B9 are computed by the system, never ticked.
        if item.automatic or (item.code == "A6" and not legal_request.emergency):
            continue
        legal_request.refresh_from_db()
        review.check_record(
            request_id=legal_request.pk,
            actor=legal2 if item.code == "A6" else legal,
            code=item.code,
            result="passed",
            evidence=evidence.get(item.code, f"{item.code}: assessed and satisfied."),
            expected_version=legal_request.version,
            contact_id=contact.pk if item.code == "A3" and contact else None,
        )


def _advance(plan: Plan, legal_request: LegalRequest, users: dict[str, User]) -> None:
    legal, legal2 = users["legal"], users["legal2"]
    now = int(time.time())
    if plan.final == "received":
        return
    request_acknowledge(request_id=legal_request.pk, actor=legal)
    review.request_start_review(request_id=legal_request.pk, actor=legal)
    if plan.final == "in_review":
        legal_request.refresh_from_db()
        for code in ("A1", "A2"):
            review.check_record(
                request_id=legal_request.pk,
                actor=legal,
                code=code,
                result="passed",
                evidence="Checked against the registry.",
                expected_version=legal_request.version,
            )
            legal_request.refresh_from_db()
        return
    if plan.final == "clarification":
        review.request_ask_clarification(
            request_id=legal_request.pk,
            actor=legal,
            reason="insufficient_info",
            note="The order names no date range.",
        )
        return
    if plan.final == "withdrawn":
        review.request_withdraw(
            request_id=legal_request.pk,
            actor=legal,
            reason="The authority withdrew the order by letter.",
        )
        return
    if plan.final == "rejected":
        review.request_refuse(
            request_id=legal_request.pk,
            actor=legal,
            reason_code="disproportionate",
            reason="Three years of IP history for a harassment complaint is not proportionate.",
        )
        return
    _checks(legal_request, legal, legal2)
    if plan.final == "no_records":
        review.request_close_no_records(request_id=legal_request.pk, actor=legal)
        return
    scope = review.scope_submit(request_id=legal_request.pk, actor=legal)
    if plan.final == "pending_approval" and not legal_request.emergency:
        return  # waiting for its one approver
    review.request_approve(
        request_id=legal_request.pk,
        actor=users["approver"],
        scope_hash=scope.scope_hash,
        reauthenticated_at=now,
    )
    if plan.final == "pending_approval":
        return
    if legal_request.emergency:
        review.request_approve(
            request_id=legal_request.pk,
            actor=users["approver2"],
            scope_hash=scope.scope_hash,
            reauthenticated_at=now,
        )
    release.package_build(request_id=legal_request.pk, actor=legal)
    if plan.final == "approved":
        return
    release.package_release(request_id=legal_request.pk, actor=legal, reauthenticated_at=now)
    if plan.final == "closed":
        review.request_close(request_id=legal_request.pk, actor=legal)


def seed_disclosures() -> int:
    """Create the demo legal work; returns how many requests were made (0 on a second run)."""
    if LegalRequest.objects.filter(
        statement_of_reasons__startswith="The account is a suspect"
    ).exists():
        return 0
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["legal", "legal2", "approver", "approver2"])
    }
    authorities = _authorities(users["legal"])
    suspects = _suspects()
    if len(suspects) < len(PLANS):
        return 0
    _subscriber_data(suspects[: len(PLANS) + 8])
    made = 0
    for plan, suspect in zip(PLANS, suspects, strict=False):
        request = _register(plan, authorities[plan.authority], suspect, users["legal"])
        _advance(plan, request, users)
        made += 1
    # Backdated requests answered in their own time (acknowledged within hours, effect within days).
    for request in LegalRequest.objects.filter(received_at__lt=timezone.now() - timedelta(days=15)):
        LegalRequest.objects.filter(pk=request.pk).update(
            acknowledged_at=request.received_at + timedelta(hours=3),
            effect_given_at=(request.received_at + timedelta(days=4))
            if request.effect_given_at
            else None,
            closed_at=(request.received_at + timedelta(days=6)) if request.closed_at else None,
            # An order without an end date was last reviewed when it was registered.
            nondisclosure_reviewed_at=(request.received_at + timedelta(hours=3))
            if request.nondisclosure_reviewed_at
            else None,
        )
    made += seed_preservation(users, authorities, suspects)
    return made


def seed_preservation(
    users: dict[str, User], authorities: list[Authority], suspects: list[tuple[str, int]]
) -> int:
    """
    A European Preservation Order whose hold was placed 55 days ago and expires within the
    reminder window: the legal home lists it, its overview shows the holds panel with
    "Extend" and "Release hold". Returns how many requests were made.
    """
    from disclosures.models import PreservationHold
    from disclosures.services.preservation import hold_place, preservation_period

    if len(suspects) <= len(PLANS):
        return 0
    account, case_id = suspects[len(PLANS)]
    legal = users["legal"]
    authority = authorities[1]
    received = timezone.now() - timedelta(days=56)
    request = request_register(
        actor=legal,
        data=RequestInput(
            instrument="epoc_pr",
            authority_id=authority.pk,
            issuer_type="prosecutor",
            issuing_file_number=f"{authority.country}-2026-PR-31337",
            channel="ecodex",
            received_at=received,
            legal_basis="Regulation (EU) 2023/1543, Art. 6 (European Preservation Order)",
            offence_category="scams_fraud",
            offence_description="Investment fraud run through a channel; a production order will follow.",
            statement_of_reasons=(
                "Preserve the account's IP addresses and phone number until the production "
                "order is issued: the account is a suspect in an investment fraud."
            ),
            data_requested=("ip_addresses", "phone_number"),
            date_from=received - timedelta(days=90),
            date_to=received,
            source_timezone="Europe/Berlin",
            targets=(f"account_id:{account}",),
            case_ids=(case_id,),
        ),
        document=SimpleUploadedFile("preservation-order.pdf", PDF, content_type="application/pdf"),
    )
    request_acknowledge(request_id=request.pk, actor=legal)
    review.request_start_review(request_id=request.pk, actor=legal)
    _checks(request, legal, users["legal2"])
    hold_place(request_id=request.pk, actor=legal)
    # Placed within a day of receipt, so it now expires in five days.
    placed = received + timedelta(hours=20)
    LegalRequest.objects.filter(pk=request.pk).update(
        acknowledged_at=received + timedelta(hours=2), effect_given_at=placed
    )
    PreservationHold.objects.filter(request=request).update(
        placed_at=placed, expires_at=placed + preservation_period("epoc_pr")
    )
    return 1
