"""
Review of a legal request: the checklist, the frozen scope, the state machine's review moves,
and the review tab's screens. Four-eyes approval is in test_four_eyes.py.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import checklist
from disclosures.exceptions import (
    ChecksIncomplete,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    SeparationOfDutiesViolation,
    StaleVersion,
)
from disclosures.models import (
    Approval,
    Authority,
    AuthorityContact,
    DisclosurePolicy,
    LegalRequest,
    RequestTarget,
    Scope,
    VerificationCheck,
)
from disclosures.pins import data_pins
from disclosures.selectors import review as selectors
from disclosures.services import review
from disclosures.services.workflow import request_lock, request_transition
from tests.disclosures.factories import (
    add_contact,
    give_subscriber_data,
    make_account,
    make_authority,
    make_request,
)
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status
PASSED = VerificationCheck.Result.PASSED
FAILED = VerificationCheck.Result.FAILED
NA = VerificationCheck.Result.NOT_APPLICABLE


# --- arrangement helpers (also used by test_four_eyes) ---------------------------------------


def pass_checks(request: LegalRequest, by: Any, *, second: Any = None) -> None:
    """Write a passed row for every mandatory check (A6 by `second`, if given), directly."""
    for code in checklist.mandatory_codes(emergency=request.emergency):
        item = checklist.ITEMS[code]
        if item.automatic or (code == checklist.SECOND_LEVEL_CODE and second is None):
            continue
        performer = second if code == checklist.SECOND_LEVEL_CODE else by
        VerificationCheck.objects.create(
            request=request, code=code, result=PASSED, evidence=f"{code} ok", performed_by=performer
        )


def reviewable_request(*, by: Any, status: str = Status.IN_REVIEW, **overrides: Any):
    """A request ready to be checked: a registry contact and a linked moderation case."""
    request = with_records(make_request(created_by=by, status=status, **overrides))
    add_contact(request.authority, verified_by=by)
    request.linked_cases.add(make_case())  # a case about someone else: never a link
    return request


def with_records(request: LegalRequest) -> LegalRequest:
    """Give every target account a phone number and an IP record inside the request's range."""
    for n, target in enumerate(request.targets.filter(account__isnull=False)):
        give_subscriber_data(
            target.account,
            phone=f"+3369{request.pk % 1000:03d}{n:04d}",
            ips=[("203.0.113.7", 51000 + n, request.date_from + timedelta(days=1))],
        )
    return request


def submitted_request(*, registrar: Any, preparer: Any = None, second: Any = None, **overrides):
    """A request pending approval, its scope frozen through the service by `preparer`."""
    preparer = preparer or registrar
    request = with_records(make_request(created_by=registrar, status=Status.IN_REVIEW, **overrides))
    pass_checks(request, preparer, second=second)
    scope = review.scope_submit(request_id=request.pk, actor=preparer)
    request.refresh_from_db()
    return request, scope


def snapshot(request: LegalRequest) -> tuple[str, int, int, int, int]:
    """What a refused operation must leave untouched."""
    request.refresh_from_db()
    return (
        request.status,
        request.version,
        AuditEvent.objects.count(),
        Scope.objects.filter(request=request).count(),
        Approval.objects.filter(request=request).count(),
    )


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def second_legal(make_user):
    return make_user(Role.LEGAL_OFFICER, username="second-verifier")


# --- the checklist ---------------------------------------------------------------------------


def test_checklist_marks_mandatory_items_per_emergency_flag():
    standard = checklist.mandatory_codes(emergency=False)
    emergency = checklist.mandatory_codes(emergency=True)
    assert set(emergency) - set(standard) == {"A6"}
    expected = {
        "A1", "A2", "A3", "B1", "B2", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B-policy"
    }  # fmt: skip
    assert set(standard) == expected
    assert [i.code for i in checklist.CHECKLIST if i.automatic] == ["B9", "B8", "B-policy"]
    assert all(len(code) <= 8 for code in checklist.ITEMS)  # fits VerificationCheck.code


def test_check_record_appends_a_row_and_audits_the_evidence_hash_only(legal):
    request = reviewable_request(by=legal)
    version = request.version

    check = review.check_record(
        request_id=request.pk,
        actor=legal,
        code="B2",
        result=PASSED,
        evidence="Art. 5 of Regulation 2023/1543 applies to subscriber data",
        expected_version=version,
    )

    request.refresh_from_db()
    assert (check.code, check.result, check.performed_by) == ("B2", PASSED, legal)
    assert request.version == version + 1
    (event,) = events("check.recorded")
    assert event.data["code"] == "B2"
    assert event.data["result"] == PASSED
    assert len(event.data["evidence_hash"]) == 64
    assert "Regulation" not in json.dumps(event.data)


def test_latest_row_per_code_is_the_result(legal):
    request = reviewable_request(by=legal)
    pass_checks(request, legal)
    assert selectors.mandatory_checks_passed(request) == (True, [])

    review.check_record(
        request_id=request.pk,
        actor=legal,
        code="B7",
        result=FAILED,
        evidence="Second reading: reasons are boilerplate",
        expected_version=None,
    )

    assert selectors.mandatory_checks_passed(request) == (False, ["B7"])
    assert VerificationCheck.objects.filter(request=request, code="B7").count() == 2


def test_missing_checks_are_listed_in_checklist_order(legal):
    request = reviewable_request(by=legal)
    passed, missing = selectors.mandatory_checks_passed(request)
    assert not passed
    assert missing == ["A1", "A2", "A3", "B1", "B2", "B4", "B5", "B6", "B7", "B10"]


def test_b8_and_b9_are_computed_not_ticked(legal):
    """Nobody records B8 or B9: the system computes them from the data and the cases."""
    request = reviewable_request(by=legal)
    for code in ("B8", "B9"):
        with pytest.raises(InvalidRequest) as exc:
            review.check_record(
                request_id=request.pk,
                actor=legal,
                code=code,
                result=PASSED,
                evidence="ticked by hand",
                expected_version=None,
            )
        assert "automatic" in str(exc.value)
    pass_checks(request, legal)
    assert selectors.mandatory_checks_passed(request) == (True, [])
    request.linked_cases.clear()
    assert selectors.mandatory_checks_passed(request) == (False, ["B9"])


def test_emergency_needs_second_level_verification_by_someone_else(legal, second_legal):
    request = reviewable_request(by=legal, emergency=True)
    pass_checks(request, legal)
    assert selectors.mandatory_checks_passed(request) == (False, ["A6"])

    before = snapshot(request)
    with pytest.raises(SeparationOfDutiesViolation):
        review.check_record(
            request_id=request.pk,
            actor=legal,
            code="A6",
            result=PASSED,
            evidence="Checked again myself",
            expected_version=None,
        )
    status, version, count, *_ = before
    request.refresh_from_db()
    assert (request.status, request.version) == (status, version)
    assert AuditEvent.objects.count() == count + 1  # the authz.denied event only
    assert events("authz.denied")[-1].data == {
        "operation": "check_record",
        "rule": "SeparationOfDutiesViolation",
    }

    review.check_record(
        request_id=request.pk,
        actor=second_legal,
        code="A6",
        result=PASSED,
        evidence="Independent callback and header check",
        expected_version=None,
    )
    assert selectors.mandatory_checks_passed(request) == (True, [])


def test_second_level_stops_counting_when_its_verifier_redoes_a_first_level_check(
    legal, second_legal
):
    request = reviewable_request(by=legal, emergency=True)
    pass_checks(request, legal, second=second_legal)
    assert selectors.mandatory_checks_passed(request)[0]

    contact = request.authority.contacts.get()
    review.check_record(
        request_id=request.pk,
        actor=second_legal,
        code="A3",
        result=PASSED,
        evidence="Called again",
        contact_id=contact.pk,
        expected_version=None,
    )

    assert selectors.mandatory_checks_passed(request) == (False, ["A6"])


def test_second_level_is_optional_for_standard_requests(legal):
    request = reviewable_request(by=legal)
    pass_checks(request, legal)
    review.check_record(
        request_id=request.pk,
        actor=legal,
        code="A6",
        result=NA,
        evidence="Not an emergency",
        expected_version=None,
    )
    assert selectors.mandatory_checks_passed(request) == (True, [])


def test_a_mandatory_check_cannot_be_not_applicable(legal):
    request = reviewable_request(by=legal)
    before = snapshot(request)
    with pytest.raises(InvalidRequest) as exc:
        review.check_record(
            request_id=request.pk,
            actor=legal,
            code="B7",
            result=NA,
            evidence="n/a",
            expected_version=None,
        )
    assert "result" in exc.value.errors
    assert snapshot(request) == before


def test_callback_check_must_name_a_registry_contact_of_the_authority(legal):
    request = reviewable_request(by=legal)
    other = add_contact(make_authority(), verified_by=legal, value="+33 1 00 00 00 00")
    own = request.authority.contacts.get()
    before = snapshot(request)

    for contact_id in (None, other.pk):
        with pytest.raises(InvalidRequest) as exc:
            review.check_record(
                request_id=request.pk,
                actor=legal,
                code="A3",
                result=PASSED,
                evidence="Called the clerk",
                contact_id=contact_id,
                expected_version=None,
            )
        assert "contact" in exc.value.errors
    assert snapshot(request) == before

    check = review.check_record(
        request_id=request.pk,
        actor=legal,
        code="A3",
        result=PASSED,
        evidence="Clerk confirmed file PARQUET-1",
        contact_id=own.pk,
        expected_version=None,
    )
    assert f"registry contact #{own.pk}" in check.evidence
    assert own.value in check.evidence
    assert events("check.recorded")[-1].data["contact"] == own.pk


@pytest.mark.parametrize(
    ("code", "arrange", "message"),
    [
        ("B4", "unresolved_target", "target"),
        ("B6", "bad_category", "IP addresses"),
        ("A2", "suspended_authority", "suspended"),
    ],
)
def test_data_backed_checks_cannot_pass_against_the_data(legal, code, arrange, message):
    request = reviewable_request(by=legal)
    if arrange == "unresolved_target":
        RequestTarget.objects.create(
            request=request,
            kind=RequestTarget.Kind.USERNAME,
            value="ghost",
            value_index="x" * 64,
            resolution=RequestTarget.Resolution.AMBIGUOUS,
        )
    elif arrange == "bad_category":
        request.data_requested = ["ip_addresses", "messages"]
        request.save()
    else:
        Authority.objects.filter(pk=request.authority_id).update(status="suspended")
    before = snapshot(request)

    with pytest.raises(InvalidRequest) as exc:
        review.check_record(
            request_id=request.pk,
            actor=legal,
            code=code,
            result=PASSED,
            evidence="Looks fine",
            expected_version=None,
        )

    assert message in str(exc.value)
    assert snapshot(request) == before
    # Recording the failure is allowed: it is what the person found.
    review.check_record(
        request_id=request.pk,
        actor=legal,
        code=code,
        result=FAILED,
        evidence="Does not hold",
        expected_version=None,
    )


def test_policy_check_is_decided_from_the_policy_in_force_at_receipt(legal):
    old_policy = DisclosurePolicy.objects.get(version=1)  # terrorism only
    request = reviewable_request(by=legal, policy=old_policy, offence_category="illegal_drugs")
    pass_checks(request, legal)
    # Under the terrorism-only policy a drug offence is not covered, and the target's drug
    # case does not qualify as its terms-violation link either.
    assert selectors.mandatory_checks_passed(request) == (False, ["B9", "B-policy"])

    with pytest.raises(InvalidRequest):
        review.check_record(
            request_id=request.pk,
            actor=legal,
            code="B-policy",
            result=PASSED,
            evidence="I say it is covered",
            expected_version=None,
        )

    covered = reviewable_request(by=legal, policy=old_policy, offence_category="terrorism")
    pass_checks(covered, legal)
    assert selectors.mandatory_checks_passed(covered) == (True, [])


def test_check_record_refused_for_a_role_that_does_not_prepare(legal, approver):
    request = reviewable_request(by=legal)
    status, version, count, *_ = snapshot(request)

    with pytest.raises(NotPermitted):
        review.check_record(
            request_id=request.pk,
            actor=approver,
            code="B2",
            result=PASSED,
            evidence="x",
            expected_version=None,
        )

    request.refresh_from_db()
    assert (request.status, request.version) == (status, version)
    assert not VerificationCheck.objects.filter(request=request).exists()
    (denied,) = events("authz.denied")
    assert denied.actor == approver
    assert denied.data == {"operation": "check_record", "rule": "NotPermitted"}
    assert AuditEvent.objects.count() == count + 1


def test_check_record_refuses_a_stale_version(legal):
    request = reviewable_request(by=legal)
    before = snapshot(request)
    with pytest.raises(StaleVersion):
        review.check_record(
            request_id=request.pk,
            actor=legal,
            code="B2",
            result=PASSED,
            evidence="x",
            expected_version=request.version - 1 if request.version > 1 else 99,
        )
    assert snapshot(request) == before


@pytest.mark.parametrize(
    "status",
    [Status.PENDING_APPROVAL, Status.APPROVED, Status.REJECTED, Status.RELEASED, Status.CLOSED],
)
def test_check_record_refused_once_the_checklist_is_closed(legal, status):
    request = reviewable_request(by=legal, status=status)
    before = snapshot(request)
    with pytest.raises(review.ChecklistClosed):
        review.check_record(
            request_id=request.pk,
            actor=legal,
            code="B2",
            result=PASSED,
            evidence="x",
            expected_version=None,
        )
    assert snapshot(request) == before


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.IN_REVIEW, Status.CLARIFICATION])
def test_check_record_allowed_while_received_in_review_or_clarification(legal, status):
    request = reviewable_request(by=legal, status=status)
    review.check_record(
        request_id=request.pk,
        actor=legal,
        code="B1",
        result=PASSED,
        evidence="Investigating judge: competent for subscriber data (Art. 4(1))",
        expected_version=None,
    )
    assert VerificationCheck.objects.filter(request=request).count() == 1


# --- the frozen scope ------------------------------------------------------------------------


def test_scope_canonical_form_is_exact(legal):
    authority = make_authority(name="Tribunal judiciaire de Créteil", country="FR")
    accounts = [make_account("acct-zulu"), make_account("acct-alpha")]
    request = make_request(
        created_by=legal,
        authority=authority,
        accounts=accounts,
        reference="LR-2026-00042",
        data_requested=["phone_number", "ip_addresses"],
        date_from=datetime(2026, 10, 1, 0, 0, tzinfo=UTC),
        date_to=datetime(2026, 11, 1, 1, 0, tzinfo=UTC) + timedelta(hours=-2),
    )

    text, digest = review.scope_canonical(request)

    pins = data_pins(review.scope_payload(request))
    alpha, zulu = (
        request.linked_cases.get(subject__author__platform_id=p).pk
        for p in ("acct-alpha", "acct-zulu")
    )
    expected = (
        '{"accounts":["acct-alpha","acct-zulu"],'
        '"categories":["ip_addresses","phone_number"],'
        f'"data":{{"digest":"{pins.digest}","records":'
        '{"acct-alpha":{"ip_addresses":0,"phone_number":0},'
        '"acct-zulu":{"ip_addresses":0,"phone_number":0}}},'
        '"date_from":"2026-10-01T00:00:00Z",'
        '"date_to":"2026-10-31T23:00:00Z",'
        f'"recipient":{{"authority_id":{authority.pk},"channel":"ecodex","country":"FR",'
        '"name":"Tribunal judiciaire de Créteil"},'
        f'"request":{{"id":{request.pk},"reference":"LR-2026-00042","version":1}},'
        f'"violations":{{"acct-alpha":[{alpha}],"acct-zulu":[{zulu}]}}}}'
    )
    assert text == expected
    assert digest == hashlib.sha256(expected.encode("utf-8")).hexdigest()


def test_scope_dates_are_converted_to_utc(legal):
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    request = make_request(
        created_by=legal,
        date_from=datetime(2026, 7, 1, 2, 0, tzinfo=paris),
        date_to=datetime(2026, 7, 2, 2, 0, tzinfo=paris),
    )
    request.refresh_from_db()
    payload = review.scope_payload(request)
    assert payload["date_from"] == "2026-07-01T00:00:00Z"
    assert payload["date_to"] == "2026-07-02T00:00:00Z"


def test_same_request_gives_the_same_hash(legal):
    request = make_request(created_by=legal)
    first = review.scope_canonical(request)
    request = LegalRequest.objects.get(pk=request.pk)
    assert review.scope_canonical(request) == first


def _change(request: LegalRequest, what: str) -> None:
    if what == "account":
        extra = make_account()
        RequestTarget.objects.create(
            request=request,
            kind=RequestTarget.Kind.ACCOUNT_ID,
            value=extra.platform_id,
            value_index=extra.platform_id,
            account=extra,
            resolution=RequestTarget.Resolution.UNIQUE,
        )
        return
    changes: dict[str, Callable[[], Any]] = {
        "categories": lambda: setattr(request, "data_requested", ["phone_number"]),
        "date_from": lambda: setattr(
            request, "date_from", request.date_from + timedelta(seconds=1)
        ),
        "date_to": lambda: setattr(request, "date_to", request.date_to - timedelta(days=1)),
        "authority": lambda: setattr(request, "authority", make_authority()),
        "channel": lambda: setattr(request, "channel", LegalRequest.Channel.EMAIL),
        "version": lambda: setattr(request, "version", request.version + 1),
        "reference": lambda: setattr(request, "reference", request.reference + "-B"),
    }
    changes[what]()
    request.save()


@pytest.mark.parametrize(
    "what",
    [
        "account",
        "categories",
        "date_from",
        "date_to",
        "authority",
        "channel",
        "version",
        "reference",
    ],
)
def test_any_change_gives_a_different_hash(legal, what):
    request = make_request(created_by=legal)
    _, before = review.scope_canonical(request)
    _change(request, what)
    request = LegalRequest.objects.get(pk=request.pk)
    _, after = review.scope_canonical(request)
    assert after != before


def test_renamed_authority_changes_the_hash(legal):
    request = make_request(created_by=legal)
    _, before = review.scope_canonical(request)
    Authority.objects.filter(pk=request.authority_id).update(name="Renamed court")
    request = LegalRequest.objects.get(pk=request.pk)
    assert review.scope_canonical(request)[1] != before


def test_two_targets_naming_one_account_give_it_once(legal):
    account = make_account("acct-same")
    request = make_request(created_by=legal, accounts=[account, account])
    assert review.scope_payload(request)["accounts"] == ["acct-same"]


def test_scope_submit_freezes_the_scope_and_asks_for_approval(legal):
    request = with_records(make_request(created_by=legal, status=Status.IN_REVIEW))
    pass_checks(request, legal)
    seen_version = request.version
    expected_text, expected_hash = review.scope_canonical(request)

    scope = review.scope_submit(request_id=request.pk, actor=legal, expected_version=seen_version)

    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL
    assert request.version == seen_version + 1
    assert (scope.canonical_json, scope.scope_hash) == (expected_text, expected_hash)
    assert json.loads(scope.canonical_json)["request"]["version"] == seen_version
    assert scope.prepared_by == legal
    assert selectors.live_scope(request) == scope
    (proposed,) = events("scope.proposed")
    assert proposed.data["scope_hash"] == scope.scope_hash
    moved = events("request.status_changed")[-1]
    assert (moved.data["from"], moved.data["to"]) == (Status.IN_REVIEW, Status.PENDING_APPROVAL)


def test_scope_submit_refused_until_every_mandatory_check_passed(legal):
    request = with_records(make_request(created_by=legal, status=Status.IN_REVIEW))
    pass_checks(request, legal)
    VerificationCheck.objects.create(
        request=request, code="B7", result=FAILED, evidence="disproportionate", performed_by=legal
    )
    before = snapshot(request)

    with pytest.raises(ChecksIncomplete) as exc:
        review.scope_submit(request_id=request.pk, actor=legal)

    assert "B7" in exc.value.message
    assert snapshot(request) == before


def test_scope_submit_refused_when_a_target_is_not_resolved(legal):
    request = make_request(created_by=legal, status=Status.IN_REVIEW)
    pass_checks(request, legal)
    RequestTarget.objects.create(
        request=request,
        kind=RequestTarget.Kind.PHONE,
        value="+33600000000",
        value_index="y" * 64,
        resolution=RequestTarget.Resolution.NONE,
    )
    before = snapshot(request)
    with pytest.raises(ChecksIncomplete):
        review.scope_submit(request_id=request.pk, actor=legal)
    assert snapshot(request) == before


def test_scope_submit_refused_for_an_approver(legal, approver):
    request = make_request(created_by=legal, status=Status.IN_REVIEW)
    pass_checks(request, legal)
    with pytest.raises(NotPermitted):
        review.scope_submit(request_id=request.pk, actor=approver)
    assert events("authz.denied")[-1].data["operation"] == "scope_submit"
    assert not Scope.objects.filter(request=request).exists()


def test_reopen_voids_the_scope_and_all_its_approvals(second_legal, legal, approver, approver2):
    request, scope = submitted_request(registrar=legal, emergency=True, second=second_legal)
    review.request_approve(
        request_id=request.pk,
        actor=approver2,
        scope_hash=scope.scope_hash,
        reauthenticated_at=int(time.time()),
    )
    assert selectors.approvers_of(request) == [approver2]

    review.request_reopen(
        request_id=request.pk, actor=approver, reason="Date range wider than the order"
    )

    request.refresh_from_db()
    scope.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert scope.voided_at is not None
    assert not Approval.objects.filter(scope=scope, voided_at__isnull=True).exists()
    assert selectors.live_scope(request) is None
    assert selectors.approvers_of(request) == []
    (invalidated,) = events("scope.invalidated")
    assert invalidated.data["scope_hash"] == scope.scope_hash
    assert invalidated.data["approvals_voided"] == 1
    assert "Date range" not in json.dumps(invalidated.data)

    # Submitting again makes a new scope with a new hash; the old votes do not carry over.
    new_scope = review.scope_submit(request_id=request.pk, actor=legal)
    assert new_scope.scope_hash != scope.scope_hash
    assert selectors.approvers_of(request) == []


def test_reopen_of_an_approved_request_voids_its_approval(legal, approver):
    request, scope = submitted_request(registrar=legal)
    review.request_approve(
        request_id=request.pk,
        actor=approver,
        scope_hash=scope.scope_hash,
        reauthenticated_at=int(time.time()),
    )
    review.request_reopen(request_id=request.pk, actor=legal, reason="The authority narrowed it")
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert Approval.objects.get(scope=scope).voided_at is not None
    assert selectors.approvers_of(request) == []


def test_reopen_needs_a_reason(legal):
    request, _ = submitted_request(registrar=legal)
    before = snapshot(request)
    with pytest.raises(InvalidRequest):
        review.request_reopen(request_id=request.pk, actor=legal, reason="   ")
    assert snapshot(request) == before


# --- the state machine -----------------------------------------------------------------------

ILLEGAL = [
    (a, b)
    for a, b in itertools.product(Status.values, Status.values)
    if b not in LegalRequest.TRANSITIONS[a]
]


def test_the_illegal_list_covers_every_missing_pair():
    legal_count = sum(len(t) for t in LegalRequest.TRANSITIONS.values())
    assert len(ILLEGAL) + legal_count == len(Status.values) ** 2
    assert set(LegalRequest.TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_writes_nothing(legal, current, target):
    request = make_request(created_by=legal, status=current)
    before = snapshot(request)

    with transaction.atomic():
        locked = request_lock(request_id=request.pk)
        with pytest.raises(InvalidTransition):
            request_transition(request=locked, to=target, actor=legal)

    assert snapshot(request) == before


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, targets in LegalRequest.TRANSITIONS.items() for b in sorted(targets)],
)
def test_every_legal_transition_moves_and_records(legal, current, target):
    request = make_request(created_by=legal, status=current)
    version = request.version
    with transaction.atomic():
        request_transition(request=request_lock(request_id=request.pk), to=target, actor=legal)
    request.refresh_from_db()
    assert (request.status, request.version) == (target, version + 1)
    assert events("request.status_changed")[-1].data["to"] == target


def test_start_review_moves_a_received_request(legal):
    request = make_request(created_by=legal)
    review.request_start_review(request_id=request.pk, actor=legal, expected_version=1)
    request.refresh_from_db()
    assert (request.status, request.version) == (Status.IN_REVIEW, 2)


def test_clarification_round_trip_keeps_the_reason_code(legal):
    request = make_request(created_by=legal, status=Status.IN_REVIEW)

    review.request_ask_clarification(
        request_id=request.pk,
        actor=legal,
        reason=checklist.ClarificationReason.INSUFFICIENT_INFORMATION,
        note="Which account? Two share the username.",
    )
    request.refresh_from_db()
    assert request.status == Status.CLARIFICATION
    moved = events("request.status_changed")[-1]
    assert moved.data["reason"] == "insufficient_info"
    assert "username" not in json.dumps(moved.data)

    review.request_resume_review(request_id=request.pk, actor=legal)
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW


def test_clarification_needs_a_known_reason_code(legal):
    request = make_request(created_by=legal, status=Status.IN_REVIEW)
    before = snapshot(request)
    with pytest.raises(InvalidRequest):
        review.request_ask_clarification(request_id=request.pk, actor=legal, reason="because")
    assert snapshot(request) == before


def test_withdraw_records_the_outcome_and_needs_a_reason(legal):
    request = make_request(created_by=legal, status=Status.IN_REVIEW)
    before = snapshot(request)
    with pytest.raises(InvalidRequest):
        review.request_withdraw(request_id=request.pk, actor=legal, reason="")
    assert snapshot(request) == before

    review.request_withdraw(request_id=request.pk, actor=legal, reason="Withdrawn by the judge")
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    assert request.outcome == LegalRequest.Outcome.WITHDRAWN
    assert request.outcome_reason == "Withdrawn by the judge"


def test_refuse_rejects_with_a_reason_code(legal):
    request = make_request(created_by=legal, status=Status.IN_REVIEW)
    review.request_refuse(
        request_id=request.pk,
        actor=legal,
        reason_code=checklist.RefusalReason.INAUTHENTIC,
        reason="Callback: the court never sent it",
    )
    request.refresh_from_db()
    assert request.status == Status.REJECTED
    assert request.outcome == LegalRequest.Outcome.REJECTED
    assert request.outcome_reason.startswith("[inauthentic]")


@pytest.mark.parametrize("status", [Status.REJECTED, Status.RELEASED, Status.WITHDRAWN])
def test_close_ends_a_finished_request(legal, status):
    request = make_request(created_by=legal, status=status)
    review.request_close(request_id=request.pk, actor=legal)
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.closed_at is not None


SERVICE_STATES: dict[str, tuple[str, ...]] = {
    "request_start_review": (Status.RECEIVED,),
    "request_ask_clarification": (Status.IN_REVIEW,),
    "request_resume_review": (Status.CLARIFICATION,),
    "request_refuse": (Status.RECEIVED, Status.IN_REVIEW, Status.CLARIFICATION),
    "scope_submit": (Status.IN_REVIEW,),
    "request_reopen": (Status.PENDING_APPROVAL, Status.APPROVED),
    "request_approve": (Status.PENDING_APPROVAL,),
    "request_reject": (Status.PENDING_APPROVAL,),
    "request_withdraw": (*LegalRequest.OPEN, Status.PRESERVING),
    "request_close": (Status.REJECTED, Status.RELEASED, Status.WITHDRAWN),
}


def _call(name: str, request: LegalRequest, *, legal: Any, approver: Any) -> None:
    now = int(time.time())
    calls: dict[str, Callable[[], Any]] = {
        "request_start_review": lambda: review.request_start_review(
            request_id=request.pk, actor=legal
        ),
        "request_ask_clarification": lambda: review.request_ask_clarification(
            request_id=request.pk, actor=legal, reason="incomplete"
        ),
        "request_resume_review": lambda: review.request_resume_review(
            request_id=request.pk, actor=legal
        ),
        "request_refuse": lambda: review.request_refuse(
            request_id=request.pk, actor=legal, reason_code="other", reason="x"
        ),
        "scope_submit": lambda: review.scope_submit(request_id=request.pk, actor=legal),
        "request_reopen": lambda: review.request_reopen(
            request_id=request.pk, actor=legal, reason="x"
        ),
        "request_approve": lambda: review.request_approve(
            request_id=request.pk, actor=approver, scope_hash="0" * 64, reauthenticated_at=now
        ),
        "request_reject": lambda: review.request_reject(
            request_id=request.pk,
            actor=approver,
            scope_hash="0" * 64,
            reauthenticated_at=now,
            reason="x",
        ),
        "request_withdraw": lambda: review.request_withdraw(
            request_id=request.pk, actor=legal, reason="x"
        ),
        "request_close": lambda: review.request_close(request_id=request.pk, actor=legal),
    }
    calls[name]()


@pytest.mark.parametrize(
    ("service", "status"),
    [
        (service, status)
        for service, allowed in SERVICE_STATES.items()
        for status in Status.values
        if status not in allowed
    ],
)
def test_every_service_refuses_a_wrong_state_and_writes_nothing(legal, approver, service, status):
    request = make_request(created_by=legal, status=status)
    pass_checks(request, legal)
    before = snapshot(request)

    with pytest.raises(InvalidTransition):
        _call(service, request, legal=legal, approver=approver)

    assert snapshot(request) == before


PREPARING = [s for s in sorted(SERVICE_STATES) if s not in ("request_approve", "request_reject")]
EXTRA_ARGS: dict[str, dict[str, Any]] = {
    "request_ask_clarification": {"reason": "incomplete"},
    "request_refuse": {"reason_code": "other", "reason": "x"},
    "request_reopen": {"reason": "x"},
    "request_withdraw": {"reason": "x"},
}


@pytest.mark.parametrize("service", PREPARING)
def test_every_service_refuses_a_stale_version(legal, service):
    request = make_request(created_by=legal, status=SERVICE_STATES[service][0])
    pass_checks(request, legal)
    before = snapshot(request)
    with pytest.raises(StaleVersion):
        getattr(review, service)(
            request_id=request.pk,
            actor=legal,
            expected_version=request.version + 5,
            **EXTRA_ARGS.get(service, {}),
        )
    assert snapshot(request) == before


@pytest.mark.parametrize(
    "service",
    [
        "request_start_review",
        "request_ask_clarification",
        "request_resume_review",
        "request_refuse",
        "scope_submit",
        "request_withdraw",
        "request_close",
    ],
)
def test_preparing_services_refuse_an_approver(legal, approver, service):
    request = make_request(created_by=legal, status=SERVICE_STATES[service][0])
    status, version, count, *_ = snapshot(request)
    with pytest.raises(NotPermitted):
        _call(service, request, legal=approver, approver=approver)
    request.refresh_from_db()
    assert (request.status, request.version) == (status, version)
    assert AuditEvent.objects.count() == count + 1
    assert events("authz.denied")[-1].data == {"operation": service, "rule": "NotPermitted"}


def test_moderators_and_auditors_may_not_reopen(legal, moderator, auditor):
    request, _ = submitted_request(registrar=legal)
    for user in (moderator, auditor):
        with pytest.raises(NotPermitted):
            review.request_reopen(request_id=request.pk, actor=user, reason="x")
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL


# --- screens ---------------------------------------------------------------------------------


def url(name: str, request: LegalRequest) -> str:
    return reverse(f"disclosures:{name}", args=[request.pk])


ACTIONS = [
    "request_check",
    "request_start_review",
    "request_clarify",
    "request_resume",
    "request_refuse",
    "request_withdraw",
    "request_close",
    "request_close_no_records",
    "scope_submit",
    "request_reopen",
    "request_approve",
    "request_reject",
]


def test_review_page_shows_checklist_scope_and_approvals(legal, legal_client):
    request, scope = submitted_request(registrar=legal)

    response = legal_client.get(url("request_review", request))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert scope.scope_hash in body
    assert "Verification checklist" in body
    assert "A3" in body
    assert "B-policy" in body
    assert reverse("disclosures:request_reopen", args=[request.pk]) in body
    # A legal officer cannot vote: no approve form for them.
    assert reverse("disclosures:request_approve", args=[request.pk]) not in body


def test_review_page_for_the_approver_carries_hash_and_version(legal, approver_client):
    request, scope = submitted_request(registrar=legal)
    body = approver_client.get(url("request_review", request)).content.decode()
    assert f'name="approve-scope_hash" value="{scope.scope_hash}"' in body
    assert f'name="approve-version" value="{request.version}"' in body


@pytest.mark.parametrize("who", ["moderator_client", "auditor_client"])
def test_moderators_and_auditors_are_refused_everywhere(request, legal, who):
    client = request.getfixturevalue(who)
    legal_request, _ = submitted_request(registrar=legal)
    assert client.get(url("request_review", legal_request)).status_code == 403
    assert client.get(reverse("disclosures:approvals")).status_code == 403
    before = snapshot(legal_request)
    for name in ACTIONS:
        assert client.post(url(name, legal_request), {}).status_code == 403, name
    status, version, count, scopes, approvals = snapshot(legal_request)
    assert (status, version, scopes, approvals) == before[:2] + before[3:]
    assert count == before[2] + len(ACTIONS)  # one authz.denied per attempt
    # ...and the two refused page views are recorded too (by the DeniedAccessMiddleware).
    assert AuditEvent.objects.filter(action="authz.denied").count() == len(ACTIONS) + 2


def test_unknown_request_is_404(legal_client):
    assert legal_client.get("/legal/requests/999999/review/").status_code == 404
    assert legal_client.post("/legal/requests/999999/review/start/", {}).status_code == 404


def test_record_a_check_through_the_page(legal, legal_client):
    request = reviewable_request(by=legal)
    contact = request.authority.contacts.get()

    response = legal_client.post(
        url("request_check", request),
        {
            "check-version": request.version,
            "check-code": "A3",
            "check-result": PASSED,
            "check-contact": contact.pk,
            "check-evidence": "Clerk confirmed the order",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url("request_review", request)
    check = VerificationCheck.objects.get(request=request)
    assert (check.code, check.performed_by) == ("A3", legal)
    page = legal_client.get(url("request_review", request)).content.decode()
    assert "Clerk confirmed the order" in page


def test_a_refused_check_rerenders_with_the_message_and_writes_nothing(legal, legal_client):
    request = reviewable_request(by=legal)
    before = snapshot(request)

    response = legal_client.post(
        url("request_check", request),
        {
            "check-version": request.version,
            "check-code": "A3",
            "check-result": PASSED,
            "check-evidence": "I called the number on the letter",
        },
    )

    assert response.status_code == 200
    assert "Name the registry contact" in response.content.decode()
    assert snapshot(request) == before


def test_htmx_check_error_returns_only_the_checklist_region(legal, legal_client):
    request = reviewable_request(by=legal)
    response = legal_client.post(
        url("request_check", request),
        {
            "check-version": request.version,
            "check-code": "B7",
            "check-result": NA,
            "check-evidence": "-",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="checklist">')
    assert "cannot be N/A" in body


def test_htmx_success_is_a_client_redirect(legal, legal_client):
    request = make_request(created_by=legal)
    response = legal_client.post(
        url("request_start_review", request),
        {"start-version": request.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == url("request_review", request)


def test_a_stale_page_is_refused_and_shows_the_fresh_version(legal, legal_client):
    request = make_request(created_by=legal)
    review.request_start_review(request_id=request.pk, actor=legal)  # someone else, meanwhile
    before = snapshot(request)

    response = legal_client.post(
        url("request_clarify", request),
        {"clarify-version": 1, "clarify-reason": "incomplete"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "changed since you loaded it" in body
    assert f'name="clarify-version" value="{before[1]}"' in body
    assert snapshot(request) == before


def test_the_whole_review_path_through_the_pages(legal, legal_client, approver):
    request = reviewable_request(by=legal, status=Status.RECEIVED)
    contact = request.authority.contacts.get()
    page = url("request_review", request)

    def version() -> int:
        request.refresh_from_db()
        return request.version

    assert (
        legal_client.post(
            url("request_start_review", request), {"start-version": version()}
        ).status_code
        == 302
    )
    assert (
        legal_client.post(
            url("request_clarify", request),
            {
                "clarify-version": version(),
                "clarify-reason": "incomplete",
                "clarify-note": "Dates?",
            },
        ).status_code
        == 302
    )
    assert (
        legal_client.post(url("request_resume", request), {"resume-version": version()}).status_code
        == 302
    )
    for code in checklist.mandatory_codes(emergency=False):
        if checklist.ITEMS[code].automatic:
            continue
        response = legal_client.post(
            url("request_check", request),
            {
                "check-version": version(),
                "check-code": code,
                "check-result": PASSED,
                "check-contact": contact.pk if code == "A3" else "",
                "check-evidence": f"Verified {code}",
            },
        )
        assert response.status_code == 302, (code, response.content.decode()[:2000])
    assert legal_client.get(page).status_code == 200
    unconfirmed = legal_client.post(url("scope_submit", request), {"submit-version": version()})
    assert unconfirmed.status_code == 200
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert selectors.live_scope(request) is None
    response = legal_client.post(
        url("scope_submit", request), {"submit-version": version(), "submit-confirm": "on"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL
    assert selectors.live_scope(request).prepared_by == legal

    response = legal_client.post(
        url("request_reopen", request),
        {"reopen-version": version(), "reopen-reason": "Typo", "reopen-confirm": "on"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert selectors.live_scope(request) is None

    response = legal_client.post(
        url("request_withdraw", request),
        {"withdraw-version": version(), "withdraw-reason": "The court withdrew it"},
    )
    assert response.status_code == 302
    response = legal_client.post(url("request_close", request), {"close-version": version()})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.outcome) == (Status.CLOSED, LegalRequest.Outcome.WITHDRAWN)


def test_submit_through_the_page_with_missing_checks_shows_them(legal, legal_client):
    request = with_records(make_request(created_by=legal, status=Status.IN_REVIEW))
    before = snapshot(request)
    response = legal_client.post(
        url("scope_submit", request),
        {"submit-version": request.version, "submit-confirm": "on"},
    )
    assert response.status_code == 200
    assert "mandatory checks have not passed" in response.content.decode()
    assert snapshot(request) == before


def test_approvers_may_send_back_through_the_page(legal, approver_client):
    request, scope = submitted_request(registrar=legal)
    unconfirmed = approver_client.post(
        url("request_reopen", request),
        {"reopen-version": request.version, "reopen-reason": "Narrow the dates"},
    )
    assert unconfirmed.status_code == 200
    scope.refresh_from_db()
    assert scope.voided_at is None
    response = approver_client.post(
        url("request_reopen", request),
        {
            "reopen-version": request.version,
            "reopen-reason": "Narrow the dates",
            "reopen-confirm": "on",
        },
    )
    assert response.status_code == 302
    scope.refresh_from_db()
    assert scope.voided_at is not None


def test_approvals_queue_lists_pending_requests_soonest_deadline_first(
    second_legal, legal, approver, approver_client
):
    later, _ = submitted_request(registrar=legal)
    sooner, _ = submitted_request(registrar=legal, emergency=True, second=second_legal)
    make_request(created_by=legal, status=Status.IN_REVIEW)  # not pending: not listed

    response = approver_client.get(reverse("disclosures:approvals"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert body.index(sooner.reference) < body.index(later.reference)
    assert "Emergency" in body
    rows = selectors.approval_queue(user=approver)
    assert [r.request.pk for r in rows] == [sooner.pk, later.pk]
    assert [(r.approvals, r.needed) for r in rows] == [(0, 2), (0, 1)]


def test_approvals_queue_is_for_approvers(legal_client):
    assert legal_client.get(reverse("disclosures:approvals")).status_code == 403


def test_approvals_queue_query_count_does_not_grow(
    second_legal,
    legal,
    approver,
    approver_client,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    for _ in range(2):
        submitted_request(registrar=legal)
    with django_assert_max_num_queries(60) as small:
        approver_client.get(reverse("disclosures:approvals"))
    for _ in range(6):
        submitted_request(registrar=legal, emergency=True, second=second_legal)
    with django_assert_num_queries(len(small.captured_queries)):
        approver_client.get(reverse("disclosures:approvals"))


def test_review_page_query_count_does_not_grow_with_checks(
    legal, legal_client, django_assert_num_queries, django_assert_max_num_queries
):
    request = reviewable_request(by=legal)
    pass_checks(request, legal)
    with django_assert_max_num_queries(60) as small:
        legal_client.get(url("request_review", request))
    pass_checks(request, legal)
    pass_checks(request, legal)
    with django_assert_num_queries(len(small.captured_queries)):
        legal_client.get(url("request_review", request))


def test_registry_contact_choices_are_only_the_authoritys(legal, legal_client):
    request = reviewable_request(by=legal)
    other = AuthorityContact.objects.create(
        authority=make_authority(),
        kind=AuthorityContact.Kind.PHONE,
        value="+44 20 7946 0000",
        directory_source="elsewhere",
        verified_at=request.received_at,
        verified_by=legal,
    )
    body = legal_client.get(url("request_review", request)).content.decode()
    assert other.value not in body
    assert request.authority.contacts.get().value in body
