"""
The verification checklist of a legal request under review: who may record which check,
what each result means, and what the mandatory set blocks.
"""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from disclosures import checklist
from disclosures.exceptions import (
    InvalidRequest,
    NotPermitted,
    SeparationOfDutiesViolation,
    StaleVersion,
)
from disclosures.models import (
    Authority,
    DisclosurePolicy,
    LegalRequest,
    RequestTarget,
    VerificationCheck,
)
from disclosures.selectors import review as selectors
from disclosures.services import review
from tests.disclosures.factories import (
    add_contact,
    make_authority,
)
from tests.disclosures.helpers import (
    events,
    pass_checks,
    reviewable_request,
    snapshot,
)

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status
PASSED = VerificationCheck.Result.PASSED
FAILED = VerificationCheck.Result.FAILED
NA = VerificationCheck.Result.NOT_APPLICABLE


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
