"""
The frozen scope of a legal request: what freezing pins, and what a change of the data or
the request after freezing does to it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from disclosures.exceptions import (
    ChecksIncomplete,
    InvalidRequest,
    NotPermitted,
)
from disclosures.models import (
    Approval,
    Authority,
    LegalRequest,
    RequestTarget,
    Scope,
    VerificationCheck,
)
from disclosures.pins import data_pins
from disclosures.selectors import review as selectors
from disclosures.services import review
from tests.disclosures.factories import (
    make_account,
    make_authority,
    make_request,
)
from tests.disclosures.helpers import (
    events,
    pass_checks,
    snapshot,
    submitted_request,
    with_records,
)

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status
FAILED = VerificationCheck.Result.FAILED


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


def _change(legal_request: LegalRequest, what: str) -> None:
    if what == "account":
        extra = make_account()
        RequestTarget.objects.create(
            request=legal_request,
            kind=RequestTarget.Kind.ACCOUNT_ID,
            value=extra.platform_id,
            value_index=extra.platform_id,
            account=extra,
            resolution=RequestTarget.Resolution.UNIQUE,
        )
        return
    changes: dict[str, Callable[[], Any]] = {
        "categories": lambda: setattr(legal_request, "data_requested", ["phone_number"]),
        "date_from": lambda: setattr(
            legal_request, "date_from", legal_request.date_from + timedelta(seconds=1)
        ),
        "date_to": lambda: setattr(
            legal_request, "date_to", legal_request.date_to - timedelta(days=1)
        ),
        "authority": lambda: setattr(legal_request, "authority", make_authority()),
        "channel": lambda: setattr(legal_request, "channel", LegalRequest.Channel.EMAIL),
        "version": lambda: setattr(legal_request, "version", legal_request.version + 1),
        "reference": lambda: setattr(legal_request, "reference", legal_request.reference + "-B"),
    }
    changes[what]()
    legal_request.save()


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
