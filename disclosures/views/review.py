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

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import reauth
from accounts.permissions import require
from disclosures import permissions
from disclosures.exceptions import DisclosureError, InvalidRequest, NotPermitted
from disclosures.forms_review import (
    CheckForm,
    ClarificationForm,
    ReasonForm,
    RefuseForm,
    RejectVoteForm,
    VersionForm,
    VoteForm,
)
from disclosures.models import Approval, LegalRequest
from disclosures.selectors import review as selectors
from disclosures.services import review
from disclosures.services.workflow import approvals_needed

TEMPLATE = "disclosures/review/review.html"
PENDING_VOTE = "disclosures_pending_vote"
Status = LegalRequest.Status


def _legal_request(request_id: int) -> LegalRequest:
    return get_object_or_404(selectors.request_for_review(), pk=request_id)


def _page_url(request_id: int) -> str:
    return reverse("disclosures:request_review", args=[request_id])


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _go(request: HttpRequest, url: str) -> HttpResponse:
    if _is_htmx(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _require_action(
    request: HttpRequest, allowed: bool, *, request_id: int, operation: str
) -> None:
    """A role that may not act gets a 403, and the attempt is recorded as `authz.denied`."""
    if not allowed:
        review.denial_record(request_id=request_id, actor=request.user, operation=operation)
        raise PermissionDenied


def _pop_pending_vote(request: HttpRequest, request_id: int) -> dict[str, Any] | None:
    pending = request.session.get(PENDING_VOTE)
    if not pending or pending.get("request_id") != request_id:
        return None
    del request.session[PENDING_VOTE]
    return pending


def _context(request: HttpRequest, legal_request: LegalRequest, **overrides: Any) -> dict[str, Any]:
    user: Any = request.user
    status = legal_request.status
    scope = selectors.live_scope(legal_request)
    votes = selectors.votes_on(scope) if scope else []
    rows = selectors.checklist_rows(legal_request)
    contacts = selectors.registry_contacts(legal_request)
    can_prepare = permissions.can_prepare(user)
    can_approve = permissions.can_approve(user)

    barred = ""
    if scope is not None:
        if user.pk == scope.prepared_by_id:
            barred = "prepared"
        elif user.pk == legal_request.created_by_id:
            barred = "registered"
        elif any(v.approver_id == user.pk for v in votes):
            barred = "voted"

    pending = overrides.pop("pending_vote", None)
    reject_initial = {"reason": pending.get("reason", "")} if pending else {}
    context: dict[str, Any] = {
        "legal_request": legal_request,
        "tab": "review",
        "rows": rows,
        "missing": [row.item.code for row in rows if row.mandatory and not row.satisfied],
        "targets": selectors.target_summary(legal_request),
        "scope": scope,
        "scope_pretty": selectors.scope_pretty(scope) if scope else "",
        "voided_scopes": selectors.voided_scope_count(legal_request),
        "votes": votes,
        "approvals": sum(1 for v in votes if v.decision == Approval.Decision.APPROVED),
        "needed": approvals_needed(legal_request),
        "barred": barred,
        "pending_vote": pending,
        "can_record_checks": can_prepare and status in review.CHECKABLE,
        "can_start": can_prepare and status == Status.RECEIVED,
        "can_clarify": can_prepare and status == Status.IN_REVIEW,
        "can_resume": can_prepare and status == Status.CLARIFICATION,
        "can_refuse": can_prepare and status in review.CHECKABLE,
        "can_withdraw": can_prepare and status in LegalRequest.OPEN,
        "can_close": can_prepare and status in review.CLOSABLE,
        "can_submit": can_prepare and status == Status.IN_REVIEW,
        "can_reopen": (can_prepare or can_approve)
        and status in (Status.PENDING_APPROVAL, Status.APPROVED),
        "can_vote": can_approve and status == Status.PENDING_APPROVAL and scope is not None,
        "is_approver": can_approve,
        "check_form": CheckForm(contacts=contacts),
        "start_form": VersionForm(prefix="start"),
        "clarify_form": ClarificationForm(),
        "resume_form": VersionForm(prefix="resume"),
        "refuse_form": RefuseForm(),
        "withdraw_form": ReasonForm(prefix="withdraw"),
        "close_form": VersionForm(prefix="close"),
        "submit_form": VersionForm(prefix="submit"),
        "reopen_form": ReasonForm(prefix="reopen"),
        "approve_form": VoteForm(),
        "reject_form": RejectVoteForm(initial=reject_initial),
    }
    context.update(overrides)
    return context


def _render(
    request: HttpRequest, legal_request: LegalRequest, *, region: str, **overrides: Any
) -> HttpResponse:
    template = TEMPLATE + (f"#{region}" if _is_htmx(request) else "")
    return render(request, template, _context(request, legal_request, **overrides))


@require_GET
@never_cache
def request_review(request: HttpRequest, request_id: int) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    legal_request = _legal_request(request_id)
    pending = _pop_pending_vote(request, request_id)
    return render(request, TEMPLATE, _context(request, legal_request, pending_vote=pending))


def _act(
    request: HttpRequest,
    request_id: int,
    *,
    operation: str,
    allowed: bool,
    form: forms.Form,
    form_key: str,
    region: str,
    call: Callable[[dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """One review action: authorize, validate, call the service, redirect or re-render."""
    _require_action(request, allowed, request_id=request_id, operation=operation)
    legal_request = _legal_request(request_id)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except NotPermitted as exc:
            raise PermissionDenied from exc
        except InvalidRequest as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        except DisclosureError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, success)
            return _go(request, _page_url(request_id))
        legal_request = _legal_request(request_id)  # the refusal may follow a lost race
    return _render(request, legal_request, region=region, **{form_key: form})


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


@require_GET
@never_cache
def approvals(request: HttpRequest) -> HttpResponse:
    require(permissions.can_approve(request.user))
    rows = selectors.approval_queue(user=request.user)
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
    path("requests/<int:request_id>/scope/reopen/", request_reopen, name="request_reopen"),
    path("requests/<int:request_id>/approve/", request_approve, name="request_approve"),
    path("requests/<int:request_id>/reject/", request_reject, name="request_reject"),
    path("approvals/", approvals, name="approvals"),
]
