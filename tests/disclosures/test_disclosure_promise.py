"""
The disclosure promise, tried the way an attacker or a careless colleague would break it:
only for an account whose own activity broke the terms (per target, at every gate), only the
records a second person approved (data pinned at freeze), never an empty package (B8 and
"no records found"), one live package, and an explicit confirmation before each irreversible
act. Each test here fails on the code before issue 10.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures.exceptions import (
    ChecksIncomplete,
    InvalidRequest,
    NoRecordsInScope,
    ScopeDataChanged,
    ViolationLinkMissing,
)
from disclosures.models import (
    DisclosurePolicy,
    LegalRequest,
    ReleasePackage,
    Scope,
    SubscriberIp,
    SubscriberPhone,
)
from disclosures.package import package_qa
from disclosures.pins import data_pins, pins_diff
from disclosures.selectors import facts
from disclosures.selectors import review as selectors
from disclosures.services import intake, release, review
from disclosures.services.subscriber_data import SubscriberRow, subscriber_data_ingest
from moderation.models import Case, Decision
from moderation.services.appeals import AppealInput, appeal_decide, appeal_submit
from tests.disclosures.factories import (
    give_subscriber_data,
    make_account,
    make_request,
    make_violation_case,
)
from tests.disclosures.helpers import FROM, INSIDE, TO, approved_request, pass_checks, with_records

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


@pytest.fixture
def releaser(make_user):
    return make_user(Role.LEGAL_OFFICER, username="releaser")


def events(action: str, legal_request: LegalRequest | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action).order_by("id")
    if legal_request is not None:
        found = found.filter(target_id=str(legal_request.pk))
    return list(found)


def reverse_decision(case: Case) -> None:
    Decision.objects.filter(case=case).update(status=Decision.Status.REVERSED)


def violation_case_of(legal_request: LegalRequest, account) -> Case:
    return legal_request.linked_cases.get(subject__author=account)


def frozen(legal_request: LegalRequest, legal) -> Scope:
    pass_checks(legal_request, legal)
    scope = review.scope_submit(request_id=legal_request.pk, actor=legal)
    legal_request.refresh_from_db()
    return scope


def approve(legal_request: LegalRequest, approver) -> None:
    review.request_approve(
        request_id=legal_request.pk,
        actor=approver,
        scope_hash=selectors.live_scope(legal_request).scope_hash,
        reauthenticated_at=int(time.time()),
    )
    legal_request.refresh_from_db()


# --- 1. the terms-violation link, per target -------------------------------------------------


def test_intake_refuses_a_second_target_without_a_case_of_its_own_and_names_it(legal, valid):
    suspect, bystander = make_account(username="seller"), make_account(username="neighbour")
    case = make_violation_case(suspect, decided_by=legal)
    data = replace(valid, targets=("username:seller", "username:neighbour"), case_ids=(case.pk,))

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=data)

    (message,) = refused.value.errors["case_ids"]
    assert "@neighbour" in message
    assert "@seller" not in message
    assert not LegalRequest.objects.exists()
    assert not events("request.received")

    # A case about the bystander, decided as a violation, makes the request acceptable.
    other = make_violation_case(bystander, decided_by=legal)
    request = intake.request_register(actor=legal, data=replace(data, case_ids=(case.pk, other.pk)))
    assert request.targets.count() == 2


@pytest.mark.parametrize("state", ["cleared", "reversed"])
def test_intake_refuses_a_case_whose_decision_does_not_stand(legal, valid, state):
    suspect = make_account(username="seller")
    if state == "cleared":
        case = make_violation_case(suspect, decided_by=legal, state="cleared")
    else:
        case = make_violation_case(suspect, decided_by=legal)
        reverse_decision(case)
    data = replace(valid, targets=("username:seller",), case_ids=(case.pk,))
    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=data)
    assert "@seller" in refused.value.errors["case_ids"][0]


def test_freeze_refuses_a_target_without_link_and_names_target_and_case(legal):
    suspect, bystander = make_account(), make_account()
    request = with_records(
        make_request(created_by=legal, status=Status.IN_REVIEW, accounts=[suspect, bystander])
    )
    lost = violation_case_of(request, bystander)
    reverse_decision(lost)
    pass_checks(request, legal)
    count = AuditEvent.objects.count()

    with pytest.raises(ViolationLinkMissing) as refused:
        review.scope_submit(request_id=request.pk, actor=legal)

    assert bystander.platform_id in refused.value.message
    assert f"#{lost.pk}" in refused.value.message
    assert suspect.platform_id not in refused.value.message
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert not Scope.objects.filter(request=request).exists()
    assert AuditEvent.objects.count() == count  # a refused freeze writes nothing


def test_checks_screen_shows_b9_per_target(legal, legal_client):
    suspect, bystander = make_account(), make_account()
    request = with_records(
        make_request(created_by=legal, status=Status.IN_REVIEW, accounts=[suspect, bystander])
    )
    reverse_decision(violation_case_of(request, bystander))

    body = legal_client.get(reverse("disclosures:request_review", args=[request.pk])).content
    page = body.decode()
    assert f'class="link-decided" data-account="{suspect.platform_id}"' in page
    assert f'class="link-missing" data-account="{bystander.platform_id}"' in page
    assert "no terms violation of its own" in page


def test_policy_in_force_at_receipt_decides_which_offences_qualify(legal):
    terrorism_only = DisclosurePolicy.objects.get(version=1)
    request = with_records(
        make_request(
            created_by=legal,
            status=Status.IN_REVIEW,
            policy=terrorism_only,
            offence_category="terrorism",
            violation_cases=False,
        )
    )
    account = request.targets.get().account
    request.linked_cases.add(make_violation_case(account, decided_by=legal, category="spam"))
    pass_checks(request, legal)
    assert selectors.mandatory_checks_passed(request) == (False, ["B9"])

    request.linked_cases.add(make_violation_case(account, decided_by=legal, category="terrorism"))
    assert selectors.mandatory_checks_passed(request) == (True, [])


def test_reversal_between_freeze_and_approval_sends_back_and_refuses_the_vote(legal, approver):
    account = make_account()
    request = with_records(
        make_request(created_by=legal, status=Status.IN_REVIEW, accounts=[account])
    )
    scope = frozen(request, legal)
    case = violation_case_of(request, account)
    reverse_decision(case)

    with pytest.raises(ViolationLinkMissing) as refused:
        approve(request, approver)

    assert account.platform_id in refused.value.message
    assert f"#{case.pk}" in refused.value.message
    request.refresh_from_db()
    scope.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert scope.voided_at is not None
    assert not request.approvals.filter(voided_at__isnull=True).exists()
    (sent_back,) = events("request.sent_back", request)
    assert sent_back.data["gate"] == "approval"
    assert sent_back.data["targets"] == [{"account": account.platform_id, "cases": [case.pk]}]


def test_reversal_on_appeal_after_approval_blocks_build_and_sends_back(
    legal, approver, releaser, make_user
):
    request = approved_request(legal, [approver])
    target = request.targets.first().account
    case = violation_case_of(request, target)
    decision = case.decisions.get()
    senior = make_user(Role.SENIOR_MODERATOR, username="senior-appeals")
    appeal, _ = appeal_submit(
        item=AppealInput(
            external_id="appeal-rev-1",
            decision_puid=f"tsd-{decision.uuid}",
            appellant_id=target.platform_id,
            reason="I did not write that.",
            submitted_at=timezone.now(),
        )
    )
    appeal_decide(appeal_id=appeal.pk, actor=senior, outcome="reversed", note="Misattributed.")

    with pytest.raises(ViolationLinkMissing) as refused:
        release.package_build(request_id=request.pk, actor=releaser)

    assert f"#{case.pk}" in refused.value.message
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert not ReleasePackage.objects.filter(request=request).exists()
    assert events("request.sent_back", request)[-1].data["gate"] == "package_build"


def test_reversal_after_build_blocks_release_and_purges_the_package(
    legal, approver, releaser, private_storage, django_capture_on_commit_callbacks
):
    request = approved_request(legal, [approver])
    package = release.package_build(request_id=request.pk, actor=releaser)
    stored = Path(private_storage) / package.storage_path
    assert stored.exists()
    target = request.targets.first().account
    reverse_decision(violation_case_of(request, target))

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ViolationLinkMissing):
        release.package_release(
            request_id=request.pk, actor=releaser, reauthenticated_at=int(time.time())
        )

    request.refresh_from_db()
    package.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert package.status == ReleasePackage.Status.SUPERSEDED
    assert not stored.exists()
    assert not events("request.released")
    assert events("request.sent_back", request)[-1].data["gate"] == "release"


def test_an_escalation_links_until_release_which_needs_the_decision(legal, approver, releaser):
    account = make_account()
    give_subscriber_data(account, ips=[("203.0.113.5", 4242, INSIDE)])
    request = make_request(
        created_by=legal,
        status=Status.IN_REVIEW,
        accounts=[account],
        violation_cases=False,
        date_from=FROM,
        date_to=TO,
    )
    escalated = make_violation_case(account, decided_by=legal, state="pending")
    request.linked_cases.add(escalated)
    frozen(request, legal)
    approve(request, approver)
    assert request.status == Status.APPROVED

    with pytest.raises(ViolationLinkMissing) as refused:
        release.package_build(request_id=request.pk, actor=releaser)
    assert "not decided yet" in refused.value.message
    request.refresh_from_db()
    assert request.status == Status.APPROVED  # pending is not lost: no send-back

    Case.objects.filter(pk=escalated.pk).update(status=Case.Status.RESOLVED)
    Decision.objects.create(case=escalated, moderator=legal, actions=["remove_content"])
    package = release.package_build(request_id=request.pk, actor=releaser)
    assert package.status == ReleasePackage.Status.QA_PASSED


# --- 2. approval pins the data -------------------------------------------------------------


def test_the_frozen_scope_pins_records_and_shows_counts_to_approvers(
    legal, approver, approver_client
):
    request = approved_request(legal, [approver])
    scope = selectors.live_scope(request)
    counts = scope.record_counts
    assert set(counts) == {t.account.platform_id for t in request.targets.all()}
    assert all(per == {"ip_addresses": 2, "phone_number": 1} for per in counts.values())
    assert scope.data_digest
    assert scope.data_digest in scope.canonical_json

    page = approver_client.get(reverse("disclosures:request_review", args=[request.pk]))
    body = page.content.decode()
    assert "4 IP records, 2 phone numbers" in body


def test_new_subscriber_data_after_approval_refuses_the_build(legal, approver, releaser):
    request = approved_request(legal, [approver])
    target = request.targets.order_by("id").first().account
    subscriber_data_ingest(
        rows=[
            SubscriberRow(
                account_id=target.platform_id,
                ip="198.51.100.77",
                port=5555,
                seen_at=(INSIDE + timedelta(hours=3)).isoformat(),
            )
        ],
        source="test",
    )

    with pytest.raises(ScopeDataChanged) as refused:
        release.package_build(request_id=request.pk, actor=releaser)

    message = refused.value.message
    assert f"account {target.platform_id}, IP addresses: 1 added, 0 removed, 0 changed" in message
    assert "198.51.100.77" not in message
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW
    assert not ReleasePackage.objects.filter(request=request).exists()
    (sent_back,) = events("request.sent_back", request)
    assert sent_back.data["reason"] == "data_changed"
    assert sent_back.data["changes"] == [
        {
            "account": target.platform_id,
            "category": "ip_addresses",
            "added": 1,
            "removed": 0,
            "changed": 0,
        }
    ]


def test_changed_and_removed_records_are_named_without_values(legal, approver, releaser):
    request = approved_request(legal, [approver])
    first, second = (t.account for t in request.targets.order_by("id"))
    phone = SubscriberPhone.objects.get(account=first)
    phone.phone = "+33699999999"
    phone.save()
    SubscriberIp.objects.filter(account=second, seen_at=INSIDE).delete()

    with pytest.raises(ScopeDataChanged) as refused:
        release.package_build(request_id=request.pk, actor=releaser)

    message = refused.value.message
    assert f"account {first.platform_id}, phone number: 0 added, 0 removed, 1 changed" in message
    assert f"account {second.platform_id}, IP addresses: 0 added, 1 removed, 0 changed" in message
    assert "+33699999999" not in message


def test_pins_diff_and_digest_are_stable_and_keyed(legal):
    request = with_records(make_request(created_by=legal, status=Status.IN_REVIEW))
    payload = review.scope_payload(request)
    first, again = data_pins(payload), data_pins(payload)
    assert first == again
    assert pins_diff(first.fingerprints, again.fingerprints) == []
    phone = SubscriberPhone.objects.get()
    fingerprint = first.fingerprints[phone.account.platform_id]["phone_number"]
    assert phone.phone not in str(fingerprint)


def test_data_changed_between_freeze_and_approval_refuses_the_vote(legal, approver):
    request = with_records(make_request(created_by=legal, status=Status.IN_REVIEW))
    frozen(request, legal)
    SubscriberIp.objects.filter(account=request.targets.get().account).delete()

    with pytest.raises(ScopeDataChanged):
        approve(request, approver)
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW


# --- 3. data exists is a fact; "no records found" is an outcome ------------------------------


def test_empty_scope_cannot_be_frozen_and_ends_as_no_records(legal, legal_client):
    request = make_request(created_by=legal, status=Status.IN_REVIEW)  # no subscriber data
    pass_checks(request, legal)

    with pytest.raises(NoRecordsInScope) as refused:
        review.scope_submit(request_id=request.pk, actor=legal)
    assert "no records found" in refused.value.message
    assert selectors.mandatory_checks_passed(request) == (False, ["B8"])

    page = reverse("disclosures:request_review", args=[request.pk])
    assert "Close as “no records found”" in legal_client.get(page).content.decode()
    url = reverse("disclosures:request_close_no_records", args=[request.pk])
    unconfirmed = legal_client.post(url, {"norecords-version": request.version})
    assert unconfirmed.status_code == 200
    request.refresh_from_db()
    assert request.status == Status.IN_REVIEW

    response = legal_client.post(
        url, {"norecords-version": request.version, "norecords-confirm": "on"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.outcome) == (Status.CLOSED, LegalRequest.Outcome.NO_RECORDS)
    assert request.effect_given_at is not None
    (closed,) = events("request.no_records", request)
    letter = review.no_records_letter(request)
    assert closed.data["letter_sha256"] == hashlib.sha256(letter).hexdigest()
    assert b"No records of these categories were found" in letter
    assert request.checks.filter(code="B8", result="failed").exists()  # recorded by the system
    download = legal_client.get(reverse("disclosures:request_no_records_letter", args=[request.pk]))
    assert download.status_code == 200
    assert download.content == letter
    assert download["Content-Disposition"].startswith("attachment;")
    assert not ReleasePackage.objects.filter(request=request).exists()


def test_no_records_is_refused_when_records_exist_or_checks_fail(legal):
    with_data = with_records(make_request(created_by=legal, status=Status.IN_REVIEW))
    pass_checks(with_data, legal)
    with pytest.raises(InvalidRequest):
        review.request_close_no_records(request_id=with_data.pk, actor=legal)

    unchecked = make_request(created_by=legal, status=Status.IN_REVIEW)
    with pytest.raises(ChecksIncomplete) as refused:
        review.request_close_no_records(request_id=unchecked.pk, actor=legal)
    assert "A1" in refused.value.message
    unchecked.refresh_from_db()
    assert unchecked.status == Status.IN_REVIEW


def test_qa_fails_an_empty_data_package():
    from disclosures.package import PackageContext, build

    scope = {
        "accounts": ["acct-nobody"],
        "categories": ["ip_addresses", "phone_number"],
        "date_from": "2026-10-01T00:00:00Z",
        "date_to": "2026-11-01T00:00:00Z",
    }
    text = json.dumps(scope)
    context = PackageContext(
        reference="LR-X",
        request_uuid="u",
        authority="A",
        authority_country="FR",
        instrument="EPOC",
        issuing_file_number="1",
        validating_file_number="",
        legal_basis="x",
        received_at=datetime(2026, 10, 2, tzinfo=UTC),
    )
    built = build(
        scope_json=text,
        scope_hash="0" * 64,
        context=context,
        created_at=datetime(2026, 10, 3, tzinfo=UTC),
        data={"phone_numbers": [], "ip_records": []},
    )
    report = package_qa(files=built.files, scope_json=text, scope_hash="0" * 64)
    assert "empty_package" in [p["code"] for p in report.problems]


def test_a_target_without_records_makes_the_release_partly_fulfilled(legal, approver, releaser):
    with_data, without = make_account(), make_account()
    give_subscriber_data(with_data, phone="+33611111111", ips=[("203.0.113.1", 1, INSIDE)])
    request = approved_request(legal, [approver], accounts=[with_data, without])
    release.package_build(request_id=request.pk, actor=releaser)
    release.package_release(
        request_id=request.pk, actor=releaser, reauthenticated_at=int(time.time())
    )
    request.refresh_from_db()
    assert request.outcome == LegalRequest.Outcome.PARTLY


# --- one live package --------------------------------------------------------------------


def test_building_again_supersedes_and_purges_the_previous_package(
    legal, approver, releaser, private_storage, django_capture_on_commit_callbacks
):
    request = approved_request(legal, [approver])
    first = release.package_build(request_id=request.pk, actor=releaser)
    first_file = Path(private_storage) / first.storage_path
    with django_capture_on_commit_callbacks(execute=True):
        second = release.package_build(request_id=request.pk, actor=releaser)

    first.refresh_from_db()
    assert first.status == ReleasePackage.Status.SUPERSEDED
    assert first.storage_path == ""
    assert not first_file.exists()
    assert (Path(private_storage) / second.storage_path).exists()
    live = ReleasePackage.objects.filter(request=request, status__in=ReleasePackage.LIVE)
    assert list(live) == [second]
    assert events("package.superseded", request)[-1].data["package"] == first.pk


def test_record_counts_by_sql_agree_with_the_extraction(legal, monkeypatch):
    """The checks screen counts with SQL; a source without counting decrypts: same numbers."""
    request = approved_request(legal, [])
    counted = selectors.record_counts(request)
    pinned = data_pins(review.scope_payload(request)).counts
    assert counted == pinned
    assert all(per == {"ip_addresses": 2, "phone_number": 1} for per in counted.values())

    class WithoutCounting:
        def __init__(self, inner):
            self.phone_numbers, self.ip_records = inner.phone_numbers, inner.ip_records

    inner = facts.subscriber_source()
    monkeypatch.setattr(facts, "subscriber_source", lambda: WithoutCounting(inner))
    assert selectors.record_counts(request) == counted


def test_record_phrases_are_plural_aware():
    assert selectors.records_phrase("ip_addresses", 1) == "1 IP record"
    assert selectors.records_phrase("ip_addresses", 7) == "7 IP records"
    assert selectors.records_phrase("phone_number", 1) == "1 phone number"
    assert selectors.records_phrase("phone_number", 0) == "0 phone numbers"
