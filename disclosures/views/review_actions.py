"""POST handlers of the review tab: checks, moves, scope, votes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import reauth
from disclosures import permissions
from disclosures.forms_review import (
    CheckForm,
    ClarificationForm,
    ReasonForm,
    RefuseForm,
    RejectVoteForm,
    VersionForm,
    VoteForm,
)
from disclosures.selectors import review as selectors
from disclosures.services import review
from disclosures.views.review_common import (
    PENDING_VOTE,
    _act,
    _go,
    _legal_request,
    _page_url,
    _require_action,
)


@require_POST
@never_cache
def request_check(request: HttpRequest, request_id: int) -> HttpResponse:
    legal_request = None
    if permissions.can_prepare(request.user):
        legal_request = _legal_request(request_id)
    contacts = selectors.registry_contacts(legal_request) if legal_request else []
    form = CheckForm(request.POST, contacts=contacts)
    return _act(
        request,
        request_id,
        operation="check_record",
        allowed=permissions.can_prepare(request.user),
        form=form,
        form_key="check_form",
        region="checklist",
        call=lambda data: review.check_record(
            request_id=request_id,
            actor=request.user,
            code=data["code"],
            result=data["result"],
            evidence=data["evidence"],
            contact_id=data["contact"],
            expected_version=data["version"],
        ),
        success=_("Check recorded."),
    )


@require_POST
@never_cache
def request_start_review(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        operation="request_start_review",
        allowed=permissions.can_prepare(request.user),
        form=VersionForm(request.POST, prefix="start"),
        form_key="start_form",
        region="actions",
        call=lambda data: review.request_start_review(
            request_id=request_id, actor=request.user, expected_version=data["version"]
        ),
        success=_("Review started."),
    )


@require_POST
@never_cache
def request_clarify(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        operation="request_ask_clarification",
        allowed=permissions.can_prepare(request.user),
        form=ClarificationForm(request.POST),
        form_key="clarify_form",
        region="actions",
        call=lambda data: review.request_ask_clarification(
            request_id=request_id,
            actor=request.user,
            reason=data["reason"],
            note=data["note"],
            expected_version=data["version"],
        ),
        success=_("Clarification requested from the authority."),
    )


@require_POST
@never_cache
def request_resume(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        operation="request_resume_review",
        allowed=permissions.can_prepare(request.user),
        form=VersionForm(request.POST, prefix="resume"),
        form_key="resume_form",
        region="actions",
        call=lambda data: review.request_resume_review(
            request_id=request_id, actor=request.user, expected_version=data["version"]
        ),
        success=_("Review resumed."),
    )


@require_POST
@never_cache
def request_refuse(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        operation="request_refuse",
        allowed=permissions.can_prepare(request.user),
        form=RefuseForm(request.POST),
        form_key="refuse_form",
        region="actions",
        call=lambda data: review.request_refuse(
            request_id=request_id,
            actor=request.user,
            reason_code=data["reason_code"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=_("Request refused."),
    )


@require_POST
@never_cache
def request_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        operation="request_withdraw",
        allowed=permissions.can_prepare(request.user),
        form=ReasonForm(request.POST, prefix="withdraw"),
        form_key="withdraw_form",
        region="actions",
        call=lambda data: review.request_withdraw(
            request_id=request_id,
            actor=request.user,
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=_("Request withdrawn."),
    )


@require_POST
@never_cache
def request_close(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        operation="request_close",
        allowed=permissions.can_prepare(request.user),
        form=VersionForm(request.POST, prefix="close"),
        form_key="close_form",
        region="actions",
        call=lambda data: review.request_close(
            request_id=request_id, actor=request.user, expected_version=data["version"]
        ),
        success=_("Request closed."),
    )


@require_POST
@never_cache
def scope_submit(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        operation="scope_submit",
        allowed=permissions.can_prepare(request.user),
        form=VersionForm(request.POST, prefix="submit"),
        form_key="submit_form",
        region="scope",
        call=lambda data: review.scope_submit(
            request_id=request_id, actor=request.user, expected_version=data["version"]
        ),
        success=_("Scope frozen and submitted for approval."),
    )


@require_POST
@never_cache
def request_reopen(request: HttpRequest, request_id: int) -> HttpResponse:
    user = request.user
    return _act(
        request,
        request_id,
        operation="request_reopen",
        allowed=permissions.can_prepare(user) or permissions.can_approve(user),
        form=ReasonForm(request.POST, prefix="reopen"),
        form_key="reopen_form",
        region="scope",
        call=lambda data: review.request_reopen(
            request_id=request_id,
            actor=user,
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=_("Sent back to review; the scope and its approvals are void."),
    )


def _vote(request: HttpRequest, request_id: int, *, decision: str) -> HttpResponse:
    operation = "request_approve" if decision == "approve" else "request_reject"
    _require_action(
        request, permissions.can_approve(request.user), request_id=request_id, operation=operation
    )
    _legal_request(request_id)
    at = reauth.reauthenticated_at(request)
    if not reauth.is_fresh(at):
        # Keep the vote's reason; the approver re-authenticates, comes back and votes again.
        request.session[PENDING_VOTE] = {
            "request_id": request_id,
            "decision": decision,
            "reason": request.POST.get("reject-reason", "")[:2000],
        }
        url = reverse("accounts:reauth") + "?" + urlencode({"next": _page_url(request_id)})
        return _go(request, url)

    if decision == "approve":
        return _act(
            request,
            request_id,
            operation=operation,
            allowed=True,
            form=VoteForm(request.POST),
            form_key="approve_form",
            region="approvals",
            call=lambda data: review.request_approve(
                request_id=request_id,
                actor=request.user,
                scope_hash=data["scope_hash"],
                reauthenticated_at=at,
                expected_version=data["version"],
            ),
            success=_("Approval recorded."),
        )
    return _act(
        request,
        request_id,
        operation=operation,
        allowed=True,
        form=RejectVoteForm(request.POST),
        form_key="reject_form",
        region="approvals",
        call=lambda data: review.request_reject(
            request_id=request_id,
            actor=request.user,
            scope_hash=data["scope_hash"],
            reauthenticated_at=at,
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=_("Scope rejected; the request is rejected."),
    )


@require_POST
@never_cache
def request_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    return _vote(request, request_id, decision="approve")


@require_POST
@never_cache
def request_reject(request: HttpRequest, request_id: int) -> HttpResponse:
    return _vote(request, request_id, decision="reject")
