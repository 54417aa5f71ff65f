"""
The review tab of a legal request (verification checklist, frozen scope, four-eyes vote,
review moves) and the approvers' queue.

Each POST authorizes by role, makes one service call and redirects (Post/Redirect/Get; htmx
gets a client redirect). A refusal by a domain rule re-renders the form with its message and
status 200; a role refusal is a 403 and leaves an `authz.denied` event. Approving and
rejecting need a fresh re-authentication: without one the vote is kept in the session, the
approver confirms their password and comes back to a pre-filled form to vote again.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.permissions import require
from accounts.request_user import signed_in_user
from disclosures import permissions
from disclosures.models import LegalRequest
from disclosures.selectors import review as selectors
from disclosures.services import review
from disclosures.views.review_actions import (
    request_approve,
    request_check,
    request_clarify,
    request_close,
    request_close_no_records,
    request_refuse,
    request_reject,
    request_reopen,
    request_resume,
    request_start_review,
    request_withdraw,
    scope_submit,
)
from disclosures.views.review_common import (
    TEMPLATE,
    pending_vote_pop,
    review_context,
    review_request_or_404,
)


@require_GET
@never_cache
def request_review(request: HttpRequest, request_id: int) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    legal_request = review_request_or_404(request_id)
    pending = pending_vote_pop(request, request_id)
    return render(request, TEMPLATE, review_context(request, legal_request, pending_vote=pending))


@require_GET
@never_cache
def no_records_letter(request: HttpRequest, request_id: int) -> HttpResponse:
    """The "no records found" letter, as recorded (its SHA-256 is in `request.no_records`)."""
    require(permissions.can_prepare(request.user))
    legal_request = review_request_or_404(request_id)
    if legal_request.outcome != LegalRequest.Outcome.NO_RECORDS:
        raise Http404
    response = HttpResponse(review.no_records_letter(legal_request), content_type="text/html")
    name = f"{legal_request.reference}-no-records.html"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@never_cache
def approvals(request: HttpRequest) -> HttpResponse:
    require(permissions.can_approve(request.user))
    rows = selectors.approval_queue(user=signed_in_user(request))
    return render(request, "disclosures/review/approvals.html", {"rows": rows})


urlpatterns = [
    path("requests/<int:request_id>/review/", request_review, name="request_review"),
    path("requests/<int:request_id>/review/check/", request_check, name="request_check"),
    path(
        "requests/<int:request_id>/review/start/", request_start_review, name="request_start_review"
    ),
    path("requests/<int:request_id>/review/clarify/", request_clarify, name="request_clarify"),
    path("requests/<int:request_id>/review/resume/", request_resume, name="request_resume"),
    path("requests/<int:request_id>/review/refuse/", request_refuse, name="request_refuse"),
    path("requests/<int:request_id>/review/withdraw/", request_withdraw, name="request_withdraw"),
    path("requests/<int:request_id>/review/close/", request_close, name="request_close"),
    path("requests/<int:request_id>/scope/submit/", scope_submit, name="scope_submit"),
    path(
        "requests/<int:request_id>/review/no-records/",
        request_close_no_records,
        name="request_close_no_records",
    ),
    path("requests/<int:request_id>/scope/reopen/", request_reopen, name="request_reopen"),
    path("requests/<int:request_id>/approve/", request_approve, name="request_approve"),
    path("requests/<int:request_id>/reject/", request_reject, name="request_reject"),
    path(
        "requests/<int:request_id>/no-records-letter/",
        no_records_letter,
        name="request_no_records_letter",
    ),
    path("approvals/", approvals, name="approvals"),
]
