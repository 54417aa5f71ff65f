"""
The state machine's review moves: every legal and illegal transition, through the services.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from audit.models import AuditEvent
from disclosures import checklist
from disclosures.exceptions import (
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    StaleVersion,
)
from disclosures.models import (
    LegalRequest,
)
from disclosures.services import review
from disclosures.services.workflow import request_lock, request_transition
from tests.disclosures.factories import (
    make_request,
)
from tests.disclosures.helpers import (
    events,
    pass_checks,
    snapshot,
    submitted_request,
)

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status


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
            request_transition(legal_request=locked, to=target, actor=legal)

    assert snapshot(request) == before


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, targets in LegalRequest.TRANSITIONS.items() for b in sorted(targets)],
)
def test_every_legal_transition_moves_and_records(legal, current, target):
    request = make_request(created_by=legal, status=current)
    version = request.version
    with transaction.atomic():
        request_transition(
            legal_request=request_lock(request_id=request.pk), to=target, actor=legal
        )
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


def _call(name: str, legal_request: LegalRequest, *, legal: User, approver: User) -> None:
    now = int(time.time())
    calls: dict[str, Callable[[], Any]] = {
        "request_start_review": lambda: review.request_start_review(
            request_id=legal_request.pk, actor=legal
        ),
        "request_ask_clarification": lambda: review.request_ask_clarification(
            request_id=legal_request.pk, actor=legal, reason="incomplete"
        ),
        "request_resume_review": lambda: review.request_resume_review(
            request_id=legal_request.pk, actor=legal
        ),
        "request_refuse": lambda: review.request_refuse(
            request_id=legal_request.pk, actor=legal, reason_code="other", reason="x"
        ),
        "scope_submit": lambda: review.scope_submit(request_id=legal_request.pk, actor=legal),
        "request_reopen": lambda: review.request_reopen(
            request_id=legal_request.pk, actor=legal, reason="x"
        ),
        "request_approve": lambda: review.request_approve(
            request_id=legal_request.pk, actor=approver, scope_hash="0" * 64, reauthenticated_at=now
        ),
        "request_reject": lambda: review.request_reject(
            request_id=legal_request.pk,
            actor=approver,
            scope_hash="0" * 64,
            reauthenticated_at=now,
            reason="x",
        ),
        "request_withdraw": lambda: review.request_withdraw(
            request_id=legal_request.pk, actor=legal, reason="x"
        ),
        "request_close": lambda: review.request_close(request_id=legal_request.pk, actor=legal),
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
