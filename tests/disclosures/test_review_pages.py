"""
The review tab's screens: what each role sees and may do there, with and without htmx.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from disclosures import checklist
from disclosures.models import (
    AuthorityContact,
    LegalRequest,
    VerificationCheck,
)
from disclosures.selectors import review as selectors
from disclosures.services import review
from tests.disclosures.factories import (
    make_authority,
    make_request,
)
from tests.disclosures.helpers import (
    pass_checks,
    reviewable_request,
    snapshot,
    submitted_request,
    with_records,
)

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status
PASSED = VerificationCheck.Result.PASSED
NA = VerificationCheck.Result.NOT_APPLICABLE


def url(name: str, legal_request: LegalRequest) -> str:
    return reverse(f"disclosures:{name}", args=[legal_request.pk])


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
