"""
Four eyes: the scope's preparer and the request's registrar never approve it, approvers vote
once each on the exact scope they saw, after a fresh re-authentication, and emergencies need
two distinct approvers. Each rule is broken on purpose, through the service and through the
pages; every refused authorization leaves one `authz.denied` event and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from disclosures.exceptions import (
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    ReauthenticationRequired,
    ScopeMismatch,
    SeparationOfDutiesViolation,
    StaleVersion,
)
from disclosures.models import Approval, LegalRequest, Scope
from disclosures.selectors import review as selectors
from disclosures.services import review
from disclosures.services.review.scope import scope_freeze_fields
from tests.disclosures.factories import make_request
from tests.disclosures.helpers import events, pass_checks, snapshot, submitted_request
from tests.utils import race, race_errors, race_outcomes, requires_postgres, step_up

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status
PASSWORD = "correct-horse-42"


def now() -> int:
    return int(time.time())


def approve(
    legal_request: LegalRequest, actor: User, *, scope_hash: str | None = None, **kwargs: Any
):
    return review.request_approve(
        request_id=legal_request.pk,
        actor=actor,
        scope_hash=scope_hash
        if scope_hash is not None
        else selectors.live_scope(legal_request).scope_hash,
        reauthenticated_at=kwargs.pop("reauthenticated_at", now()),
        **kwargs,
    )


def assert_denied(
    legal_request: LegalRequest, before: tuple, *, actor: User, operation: str, rule: str
):
    """The refusal wrote exactly one authz.denied event and nothing else."""
    status, version, count, scopes, approvals = snapshot(legal_request)
    assert (status, version, scopes, approvals) == (before[0], before[1], before[3], before[4])
    assert count == before[2] + 1
    denied = AuditEvent.objects.latest("id")
    assert denied.action == "authz.denied"
    assert denied.actor == actor
    assert denied.target_id == str(legal_request.pk)
    assert denied.data == {"operation": operation, "rule": rule}


@pytest.fixture
def verifier(make_user):
    """A second legal officer, for the second-level verification (A6) of emergencies."""
    return make_user(Role.LEGAL_OFFICER, username="verifier")


@pytest.fixture
def both_roles(make_user):
    """Someone who holds both legal roles: only the four-eyes rules can stop them."""
    return make_user(Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, username="dual")


# --- through the service ---------------------------------------------------------------------


def test_one_approval_approves_a_standard_request(legal, approver):
    request, scope = submitted_request(registrar=legal)

    approval = approve(request, approver)

    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert (approval.scope, approval.scope_hash, approval.approver) == (
        scope,
        scope.scope_hash,
        approver,
    )
    assert selectors.approvers_of(request) == [approver]
    (approved,) = events("request.approved")
    assert approved.data == {"scope_hash": scope.scope_hash, "approvers": [approver.pk]}
    assert events("approval.signed")[-1].data["scope_hash"] == scope.scope_hash


def test_the_preparer_can_never_approve_their_scope(legal, both_roles):
    request, _ = submitted_request(registrar=legal, preparer=both_roles)
    before = snapshot(request)

    with pytest.raises(SeparationOfDutiesViolation):
        approve(request, both_roles)

    assert_denied(
        request,
        before,
        actor=both_roles,
        operation="request_approve",
        rule="SeparationOfDutiesViolation",
    )


def test_the_registrar_can_never_approve_the_request(both_roles, legal):
    request, _ = submitted_request(registrar=both_roles, preparer=legal)
    before = snapshot(request)

    with pytest.raises(SeparationOfDutiesViolation):
        approve(request, both_roles)

    assert_denied(
        request,
        before,
        actor=both_roles,
        operation="request_approve",
        rule="SeparationOfDutiesViolation",
    )


def test_the_preparer_cannot_reject_either(legal, both_roles):
    request, _ = submitted_request(registrar=legal, preparer=both_roles)
    before = snapshot(request)
    with pytest.raises(SeparationOfDutiesViolation):
        review.request_reject(
            request_id=request.pk,
            actor=both_roles,
            scope_hash=selectors.live_scope(request).scope_hash,
            reauthenticated_at=now(),
            reason="I changed my mind",
        )
    assert_denied(
        request,
        before,
        actor=both_roles,
        operation="request_reject",
        rule="SeparationOfDutiesViolation",
    )


def test_a_legal_officer_cannot_approve(legal, make_user):
    other_officer = make_user(Role.LEGAL_OFFICER)
    request, _ = submitted_request(registrar=legal)
    before = snapshot(request)

    with pytest.raises(NotPermitted):
        approve(request, other_officer)

    assert_denied(
        request, before, actor=other_officer, operation="request_approve", rule="NotPermitted"
    )


@pytest.mark.parametrize("who", ["moderator", "auditor", "administrator"])
def test_other_roles_cannot_approve(request, legal, who):
    user = request.getfixturevalue(who)
    legal_request, _ = submitted_request(registrar=legal)
    before = snapshot(legal_request)
    with pytest.raises(NotPermitted):
        approve(legal_request, user)
    assert_denied(
        legal_request, before, actor=user, operation="request_approve", rule="NotPermitted"
    )


def test_the_same_approver_cannot_vote_twice(verifier, legal, approver):
    request, _ = submitted_request(registrar=legal, emergency=True, second=verifier)
    scope = selectors.live_scope(request)
    approve(request, approver)
    before = snapshot(request)

    with pytest.raises(SeparationOfDutiesViolation):
        approve(request, approver)

    assert_denied(
        request,
        before,
        actor=approver,
        operation="request_approve",
        rule="SeparationOfDutiesViolation",
    )
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL
    assert Approval.objects.filter(scope=scope).count() == 1


def test_an_approver_who_voted_cannot_then_reject(verifier, legal, approver):
    request, _ = submitted_request(registrar=legal, emergency=True, second=verifier)
    approve(request, approver)
    with pytest.raises(SeparationOfDutiesViolation):
        review.request_reject(
            request_id=request.pk,
            actor=approver,
            scope_hash=selectors.live_scope(request).scope_hash,
            reauthenticated_at=now(),
            reason="On second thoughts",
        )
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL


@pytest.mark.parametrize("scope_hash", ["0" * 64, "", "not-a-hash"])
def test_a_wrong_scope_hash_is_refused_and_writes_nothing(legal, approver, scope_hash):
    request, _ = submitted_request(registrar=legal)
    before = snapshot(request)

    with pytest.raises(ScopeMismatch):
        approve(request, approver, scope_hash=scope_hash)

    assert snapshot(request) == before


def test_a_stale_scope_hash_is_refused_after_a_reopen(legal, approver):
    request, old_scope = submitted_request(registrar=legal)
    review.request_reopen(request_id=request.pk, actor=legal, reason="Dates corrected")
    review.scope_submit(request_id=request.pk, actor=legal)
    request.refresh_from_db()
    before = snapshot(request)

    with pytest.raises(ScopeMismatch):
        approve(request, approver, scope_hash=old_scope.scope_hash)

    assert snapshot(request) == before
    approve(request, approver)  # the scope shown now is the one that can be approved
    request.refresh_from_db()
    assert request.status == Status.APPROVED


def test_a_stale_request_version_is_refused(legal, approver):
    request, _ = submitted_request(registrar=legal)
    before = snapshot(request)
    with pytest.raises(StaleVersion):
        approve(request, approver, expected_version=request.version - 1)
    assert snapshot(request) == before


@pytest.mark.parametrize("reauthenticated_at", [None, 0, "old"])
def test_approval_needs_a_fresh_reauthentication(legal, approver, settings, reauthenticated_at):
    request, _ = submitted_request(registrar=legal)
    if reauthenticated_at == "old":
        reauthenticated_at = now() - settings.REAUTH_MAX_AGE_SECONDS - 5
    before = snapshot(request)

    with pytest.raises(ReauthenticationRequired):
        approve(request, approver, reauthenticated_at=reauthenticated_at)

    assert_denied(
        request,
        before,
        actor=approver,
        operation="request_approve",
        rule="ReauthenticationRequired",
    )


def test_reauthentication_just_within_five_minutes_is_fresh(legal, approver, settings):
    request, _ = submitted_request(registrar=legal)
    approve(request, approver, reauthenticated_at=now() - settings.REAUTH_MAX_AGE_SECONDS + 5)
    request.refresh_from_db()
    assert request.status == Status.APPROVED


def test_an_emergency_needs_two_distinct_approvers(verifier, legal, approver, approver2):
    request, scope = submitted_request(registrar=legal, emergency=True, second=verifier)

    approve(request, approver)
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL
    assert not events("request.approved")

    approve(request, approver2)
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    (approved,) = events("request.approved")
    assert approved.data == {
        "scope_hash": scope.scope_hash,
        "approvers": sorted([approver.pk, approver2.pk]),
    }
    assert {u.pk for u in selectors.approvers_of(request)} == {approver.pk, approver2.pk}


def test_the_number_of_approvers_is_configurable(legal, approver, approver2, settings):
    settings.STANDARD_APPROVALS = 2
    request, _ = submitted_request(registrar=legal)
    approve(request, approver)
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL
    approve(request, approver2)
    request.refresh_from_db()
    assert request.status == Status.APPROVED


def test_a_rejection_rejects_the_request_with_its_reason(verifier, legal, approver):
    request, scope = submitted_request(registrar=legal, emergency=True, second=verifier)

    review.request_reject(
        request_id=request.pk,
        actor=approver,
        scope_hash=scope.scope_hash,
        reauthenticated_at=now(),
        reason="Disproportionate date range",
    )

    request.refresh_from_db()
    assert request.status == Status.REJECTED
    assert request.outcome == LegalRequest.Outcome.REJECTED
    assert request.outcome_reason == "Disproportionate date range"
    vote = Approval.objects.get(request=request)
    assert vote.decision == Approval.Decision.REJECTED
    assert selectors.approvers_of(request) == []
    (rejected,) = events("approval.rejected")
    assert "Disproportionate" not in str(rejected.data)


def test_a_rejection_needs_a_reason(legal, approver):
    request, scope = submitted_request(registrar=legal)
    before = snapshot(request)
    with pytest.raises(InvalidRequest):
        review.request_reject(
            request_id=request.pk,
            actor=approver,
            scope_hash=scope.scope_hash,
            reauthenticated_at=now(),
            reason=" ",
        )
    assert snapshot(request) == before


def test_a_vote_after_approval_is_an_invalid_transition(legal, approver, approver2):
    request, _ = submitted_request(registrar=legal)
    approve(request, approver)
    request.refresh_from_db()
    before = snapshot(request)
    with pytest.raises(InvalidTransition):
        approve(request, approver2)
    assert snapshot(request) == before


def test_approvers_of_ignores_voided_and_rejected_votes(verifier, legal, approver, approver2):
    request, _ = submitted_request(registrar=legal, emergency=True, second=verifier)
    approve(request, approver)
    review.request_reopen(request_id=request.pk, actor=legal, reason="Fix")
    assert selectors.approvers_of(request) == []
    review.scope_submit(request_id=request.pk, actor=legal)
    approve(request, approver2)
    assert selectors.approvers_of(request.pk) == [approver2]


# --- through the pages -----------------------------------------------------------------------


def page(legal_request: LegalRequest) -> str:
    return reverse("disclosures:request_review", args=[legal_request.pk])


def vote_data(
    legal_request: LegalRequest, *, prefix: str = "approve", **extra: Any
) -> dict[str, Any]:
    legal_request.refresh_from_db()
    scope = selectors.live_scope(legal_request)
    data = {f"{prefix}-version": legal_request.version, f"{prefix}-scope_hash": scope.scope_hash}
    data.update({f"{prefix}-{k}": v for k, v in extra.items()})
    return data


def reauthenticate(client: Any, legal_request: LegalRequest) -> Any:
    return step_up(client, next_url=page(legal_request), password=PASSWORD)


def test_voting_without_reauthentication_sends_the_approver_to_confirm_and_back(
    legal, approver, approver_client
):
    request, _ = submitted_request(registrar=legal)
    approve_url = reverse("disclosures:request_approve", args=[request.pk])
    before = snapshot(request)

    response = approver_client.post(approve_url, vote_data(request))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth") + "?next=")
    assert snapshot(request) == before  # nothing written, not even a denial

    back = reauthenticate(approver_client, request)
    assert back.status_code == 302
    assert back["Location"] == page(request)
    body = approver_client.get(page(request)).content.decode()
    assert "Your password is confirmed" in body

    response = approver_client.post(approve_url, vote_data(request))
    assert response.status_code == 302
    assert response["Location"] == page(request)
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert selectors.approvers_of(request) == [approver]


def test_a_rejection_reason_survives_the_reauthentication(legal, approver, approver_client):
    request, _ = submitted_request(registrar=legal)
    reject_url = reverse("disclosures:request_reject", args=[request.pk])
    approver_client.post(
        reject_url, vote_data(request, prefix="reject", reason="Targets not specific enough")
    )
    reauthenticate(approver_client, request)
    body = approver_client.get(page(request)).content.decode()
    assert "Targets not specific enough" in body

    unconfirmed = approver_client.post(
        reject_url, vote_data(request, prefix="reject", reason="Targets not specific enough")
    )
    assert unconfirmed.status_code == 200
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL

    response = approver_client.post(
        reject_url,
        vote_data(request, prefix="reject", reason="Targets not specific enough", confirm="on"),
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.REJECTED


def test_htmx_vote_without_reauthentication_is_a_client_redirect(legal, approver_client):
    request, _ = submitted_request(registrar=legal)
    response = approver_client.post(
        reverse("disclosures:request_approve", args=[request.pk]),
        vote_data(request),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("accounts:reauth"))


def test_preparer_approving_through_the_page_is_refused_and_recorded(legal, both_roles, client_for):
    request, _ = submitted_request(registrar=legal, preparer=both_roles)
    client = client_for(both_roles)
    reauthenticate(client, request)
    body = client.get(page(request)).content.decode()
    assert "You prepared this scope" in body
    assert 'name="approve-scope_hash"' not in body
    before = snapshot(request)

    response = client.post(
        reverse("disclosures:request_approve", args=[request.pk]), vote_data(request)
    )

    assert response.status_code == 200
    assert "You prepared this scope" in response.content.decode()
    assert_denied(
        request,
        before,
        actor=both_roles,
        operation="request_approve",
        rule="SeparationOfDutiesViolation",
    )


def test_registrar_approving_through_the_page_is_refused(both_roles, legal, client_for):
    request, _ = submitted_request(registrar=both_roles, preparer=legal)
    client = client_for(both_roles)
    reauthenticate(client, request)
    before = snapshot(request)
    response = client.post(
        reverse("disclosures:request_approve", args=[request.pk]), vote_data(request)
    )
    assert response.status_code == 200
    assert "You registered this request" in response.content.decode()
    assert_denied(
        request,
        before,
        actor=both_roles,
        operation="request_approve",
        rule="SeparationOfDutiesViolation",
    )


def test_same_approver_twice_through_the_page(verifier, legal, approver, approver_client):
    request, _ = submitted_request(registrar=legal, emergency=True, second=verifier)
    reauthenticate(approver_client, request)
    url = reverse("disclosures:request_approve", args=[request.pk])
    data = vote_data(request)
    assert approver_client.post(url, data).status_code == 302
    before = snapshot(request)

    response = approver_client.post(url, data)  # a double submit of the same form

    assert response.status_code == 200
    assert "already voted" in response.content.decode()
    assert_denied(
        request,
        before,
        actor=approver,
        operation="request_approve",
        rule="SeparationOfDutiesViolation",
    )


def test_wrong_scope_hash_through_the_page(legal, approver_client):
    request, _ = submitted_request(registrar=legal)
    reauthenticate(approver_client, request)
    data = vote_data(request)
    data["approve-scope_hash"] = "f" * 64
    before = snapshot(request)

    response = approver_client.post(reverse("disclosures:request_approve", args=[request.pk]), data)

    assert response.status_code == 200
    assert "scope changed since you loaded it" in response.content.decode()
    assert snapshot(request) == before


def test_a_tampered_vote_form_is_refused(legal, approver_client):
    request, _ = submitted_request(registrar=legal)
    reauthenticate(approver_client, request)
    data = vote_data(request)
    data["approve-scope_hash"] = "not-a-hash"
    before = snapshot(request)

    response = approver_client.post(reverse("disclosures:request_approve", args=[request.pk]), data)

    assert response.status_code == 200
    assert "out of date" in response.content.decode()
    assert snapshot(request) == before


def test_scope_changed_while_the_approver_looked_at_it(legal, approver_client):
    request, _ = submitted_request(registrar=legal)
    reauthenticate(approver_client, request)
    seen = vote_data(request)
    review.request_reopen(request_id=request.pk, actor=legal, reason="Dates")
    review.scope_submit(request_id=request.pk, actor=legal)
    before = snapshot(request)

    response = approver_client.post(reverse("disclosures:request_approve", args=[request.pk]), seen)

    assert response.status_code == 200
    assert snapshot(request) == before


def test_legal_officer_approving_through_the_page_is_forbidden_and_recorded(legal, legal_client):
    request, _ = submitted_request(registrar=legal)
    before = snapshot(request)
    for name in ("request_approve", "request_reject"):
        response = legal_client.post(
            reverse(f"disclosures:{name}", args=[request.pk]), vote_data(request)
        )
        assert response.status_code == 403
    status, version, count, scopes, approvals = snapshot(request)
    assert (status, version, scopes, approvals) == (before[0], before[1], before[3], before[4])
    assert count == before[2] + 2
    assert [e.data["operation"] for e in events("authz.denied")] == [
        "request_approve",
        "request_reject",
    ]


def test_emergency_needs_two_approvers_through_the_pages(
    verifier, legal, approver, approver2, approver_client, client_for
):
    request, _ = submitted_request(registrar=legal, emergency=True, second=verifier)
    url = reverse("disclosures:request_approve", args=[request.pk])
    reauthenticate(approver_client, request)
    assert approver_client.post(url, vote_data(request)).status_code == 302
    request.refresh_from_db()
    assert request.status == Status.PENDING_APPROVAL
    body = approver_client.get(page(request)).content.decode()
    assert "You have voted" in body

    second = client_for(approver2)
    reauthenticate(second, request)
    assert second.post(url, vote_data(request)).status_code == 302
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert len(events("request.approved")) == 1


def test_reject_through_the_page_needs_a_reason(legal, approver_client):
    request, _ = submitted_request(registrar=legal)
    reauthenticate(approver_client, request)
    before = snapshot(request)
    response = approver_client.post(
        reverse("disclosures:request_reject", args=[request.pk]),
        vote_data(request, prefix="reject", reason=""),
    )
    assert response.status_code == 200
    assert snapshot(request) == before


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


def _pending_without_services(*, registrar: User, emergency: bool = False) -> LegalRequest:
    """A request pending approval with its scope, arranged directly (no moderation case)."""
    request = make_request(created_by=registrar, status=Status.IN_REVIEW, emergency=emergency)
    pass_checks(request, registrar)
    fields = scope_freeze_fields(request)
    fields.pop("pins")
    Scope.objects.create(request=request, prepared_by=registrar, **fields)
    LegalRequest.objects.filter(pk=request.pk).update(status=Status.PENDING_APPROVAL)
    request.refresh_from_db()
    return request


def _race(
    legal_request: LegalRequest,
    approvers: list[Any],
    *,
    expected_version: int | None = None,
    refusal: type[Exception] = InvalidTransition,
) -> list[str]:
    """All approvers vote at the same instant; returns "approved" or "refused" per vote."""
    scope_hash = selectors.live_scope(legal_request).scope_hash

    def vote(user: User) -> Callable[[], Any]:
        return lambda: review.request_approve(
            request_id=legal_request.pk,
            actor=user,
            scope_hash=scope_hash,
            reauthenticated_at=now(),
            expected_version=expected_version,
        )

    results = race(*[vote(u) for u in approvers])
    errors = race_errors(results, refusal)
    assert errors == []
    return race_outcomes(results, refusal=refusal, ok="approved")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_on_a_standard_request_approve_it_once(make_user):
    registrar = make_user(Role.LEGAL_OFFICER)
    approvers = [make_user(Role.LEGAL_APPROVER) for _ in range(2)]
    request = _pending_without_services(registrar=registrar)

    outcomes = _race(request, approvers)

    assert sorted(outcomes) == ["approved", "refused"]
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert Approval.objects.filter(request=request).count() == 1
    assert AuditEvent.objects.filter(action="request.approved").count() == 1
    assert AuditEvent.objects.filter(action="authz.denied").count() == 0  # refused cleanly
    assert len(selectors.approvers_of(request)) == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_from_the_same_page_version_approve_it_once(make_user):
    """As through the pages: both forms carry the version; the loser's is stale."""
    registrar = make_user(Role.LEGAL_OFFICER)
    approvers = [make_user(Role.LEGAL_APPROVER) for _ in range(2)]
    request = _pending_without_services(registrar=registrar)

    outcomes = _race(request, approvers, expected_version=request.version, refusal=StaleVersion)

    assert sorted(outcomes) == ["approved", "refused"]
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert Approval.objects.filter(request=request).count() == 1
    assert AuditEvent.objects.filter(action="request.approved").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_on_an_emergency_both_count(make_user):
    registrar = make_user(Role.LEGAL_OFFICER)
    approvers = [make_user(Role.LEGAL_APPROVER) for _ in range(2)]
    request = _pending_without_services(registrar=registrar, emergency=True)

    # Both forms carry the same version: a first vote does not change the request.
    outcomes = _race(request, approvers, expected_version=request.version)

    assert outcomes == ["approved", "approved"]
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert Approval.objects.filter(request=request).count() == 2
    assert {u.pk for u in selectors.approvers_of(request)} == {u.pk for u in approvers}
    assert AuditEvent.objects.filter(action="request.approved").count() == 1
    assert AuditEvent.objects.filter(action="approval.signed").count() == 2


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_three_approvers_at_once_on_an_emergency_two_count(make_user):
    registrar = make_user(Role.LEGAL_OFFICER)
    approvers = [make_user(Role.LEGAL_APPROVER) for _ in range(3)]
    request = _pending_without_services(registrar=registrar, emergency=True)

    outcomes = _race(request, approvers)

    assert sorted(outcomes) == ["approved", "approved", "refused"]
    assert Approval.objects.filter(request=request).count() == 2
    assert AuditEvent.objects.filter(action="request.approved").count() == 1
