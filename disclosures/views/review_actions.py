"""POST handlers of the review tab: checks, moves, scope, votes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import reauth
from accounts.request_user import signed_in_user
from core.errors import DomainError, InvalidInput, NotPermitted
from disclosures import permissions
from disclosures.forms_checks import ChecksForm
from disclosures.forms_review import (
    CheckForm,
    ClarificationForm,
    ConfirmReasonForm,
    ConfirmVersionForm,
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
    TEMPLATE,
    is_htmx,
    redirect_or_client_redirect,
    require_action,
    review_act,
    review_context,
    review_page_url,
    review_request_or_404,
)


@require_POST
@never_cache
def request_check(request: HttpRequest, request_id: int) -> HttpResponse:
    """Record the checks of the checklist form (or the one check of the older single form)."""
    if "check-code" in request.POST:
        return _check_one(request, request_id)
    require_action(
        request,
        permissions.can_prepare(request.user),
        request_id=request_id,
        operation="check_record",
    )
    legal_request = review_request_or_404(request_id)
    contacts = selectors.registry_contacts(legal_request)
    form = ChecksForm(request.POST, contacts=contacts, emergency=legal_request.emergency)
    recorded: list[str] = []
    if form.is_valid():
        recorded = _checks_record(request, request_id, form)
        if len(recorded) == len(form.entries):
            done = ngettext("%(n)d check recorded.", "%(n)d checks recorded.", len(recorded)) % {
                "n": len(recorded)
            }
            if not is_htmx(request):
                messages.success(request, done)
                return redirect(review_page_url(request_id) + "#checklist")
            # The checklist swapped in place, and out of band the panels whose forms carry
            # the request's version, so none of them is left stale.
            fresh = review_request_or_404(request_id)
            return render(
                request,
                "disclosures/review/_checks_recorded.html",
                review_context(request, fresh, checks_done=done),
            )
    template = TEMPLATE + ("#checklist" if is_htmx(request) else "")
    context = review_context(request, legal_request, checks_form=form)
    return render(request, template, context)


def _checks_record(request: HttpRequest, request_id: int, form: ChecksForm) -> list[str]:
    """
    Every check of the form in one service call: all are recorded or none (a refusal rolls
    the others back and goes on its item's field). Returns the codes recorded.
    """
    entries = [review.CheckEntry(e.code, e.result, e.evidence, e.contact_id) for e in form.entries]
    try:
        review.checks_record(
            request_id=request_id,
            actor=signed_in_user(request),
            entries=entries,
            expected_version=form.cleaned_data["version"],
        )
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except InvalidInput as exc:
        code = getattr(exc, "entry_code", "")
        for name, errors in exc.errors.items():
            field: str | None = f"{code}-{name}"
            if name == "contact":
                field = "contact"
            elif field not in form.fields:
                field = f"{code}-result" if code else None
            for error in errors:
                form.add_error(field, error)
        return []
    except DomainError as exc:
        form.add_error(None, exc.message)
        return []
    return [entry.code for entry in entries]


def _check_one(request: HttpRequest, request_id: int) -> HttpResponse:
    legal_request = None
    if permissions.can_prepare(request.user):
        legal_request = review_request_or_404(request_id)
    contacts = selectors.registry_contacts(legal_request) if legal_request else []
    form = CheckForm(request.POST, contacts=contacts)
    return review_act(
        request,
        request_id,
        operation="check_record",
        allowed=permissions.can_prepare(request.user),
        form=form,
        form_key="check_form",
        region="checklist",
        call=lambda data: review.check_record(
            request_id=request_id,
            actor=signed_in_user(request),
            code=data["code"],
            result=data["result"],
            evidence=data["evidence"],
            contact_id=data["contact"],
            expected_version=data["version"],
        ),
        success=_("Check recorded."),
    )


@dataclass(frozen=True)
class _Action:
    """
    A review-tab button whose form carries the request's version and maybe a few fields:
    the view checks the role, validates the form and calls the service of the same name
    (`operation`) with those fields, then answers with the page region it changed.
    """

    operation: str
    form: Callable[[QueryDict], Form]
    form_key: str
    region: str
    success: Promise
    fields: tuple[str, ...] = ()  # form fields passed to the service under the same name
    allowed: Callable[[Any], bool] = permissions.can_prepare


def _action_view(action: _Action) -> Callable[..., HttpResponse]:
    @require_POST
    @never_cache
    def view(request: HttpRequest, request_id: int) -> HttpResponse:
        service = getattr(review, action.operation)
        return review_act(
            request,
            request_id,
            operation=action.operation,
            allowed=action.allowed(request.user),
            form=action.form(request.POST),
            form_key=action.form_key,
            region=action.region,
            call=lambda data: service(
                request_id=request_id,
                actor=signed_in_user(request),
                expected_version=data["version"],
                **{name: data[name] for name in action.fields},
            ),
            success=str(action.success),
        )

    view.__name__ = view.__qualname__ = action.operation
    return view


request_start_review = _action_view(
    _Action(
        operation="request_start_review",
        form=lambda data: VersionForm(data, prefix="start"),
        form_key="start_form",
        region="actions",
        success=_lazy("Review started."),
    )
)
request_clarify = _action_view(
    _Action(
        operation="request_ask_clarification",
        form=ClarificationForm,
        form_key="clarify_form",
        region="actions",
        success=_lazy("Clarification requested from the authority."),
        fields=("reason", "note"),
    )
)
request_resume = _action_view(
    _Action(
        operation="request_resume_review",
        form=lambda data: VersionForm(data, prefix="resume"),
        form_key="resume_form",
        region="actions",
        success=_lazy("Review resumed."),
    )
)
request_refuse = _action_view(
    _Action(
        operation="request_refuse",
        form=RefuseForm,
        form_key="refuse_form",
        region="actions",
        success=_lazy("Request refused."),
        fields=("reason_code", "reason"),
    )
)
request_withdraw = _action_view(
    _Action(
        operation="request_withdraw",
        form=lambda data: ReasonForm(data, prefix="withdraw"),
        form_key="withdraw_form",
        region="actions",
        success=_lazy("Request withdrawn."),
        fields=("reason",),
    )
)
request_close = _action_view(
    _Action(
        operation="request_close",
        form=lambda data: VersionForm(data, prefix="close"),
        form_key="close_form",
        region="actions",
        success=_lazy("Request closed."),
    )
)
scope_submit = _action_view(
    _Action(
        operation="scope_submit",
        form=lambda data: ConfirmVersionForm(data, prefix="submit"),
        form_key="submit_form",
        region="scope",
        success=_lazy("Scope frozen and submitted for approval."),
    )
)
request_close_no_records = _action_view(
    _Action(
        operation="request_close_no_records",
        form=lambda data: ConfirmVersionForm(data, prefix="norecords"),
        form_key="no_records_form",
        region="scope",
        success=_lazy("Closed as “no records found”. The letter to the authority is ready."),
    )
)
request_reopen = _action_view(
    _Action(
        operation="request_reopen",
        form=lambda data: ConfirmReasonForm(data, prefix="reopen"),
        form_key="reopen_form",
        region="scope",
        success=_lazy("Sent back to review; the scope and its approvals are void."),
        fields=("reason",),
        allowed=lambda user: permissions.can_prepare(user) or permissions.can_approve(user),
    )
)


def _vote(request: HttpRequest, request_id: int, *, decision: str) -> HttpResponse:
    operation = "request_approve" if decision == "approve" else "request_reject"
    require_action(
        request, permissions.can_approve(request.user), request_id=request_id, operation=operation
    )
    review_request_or_404(request_id)
    at = reauth.reauthenticated_at(request)
    if not reauth.is_fresh(at):
        # Keep the vote's reason; the approver re-authenticates, comes back and votes again.
        request.session[PENDING_VOTE] = {
            "request_id": request_id,
            "decision": decision,
            "reason": request.POST.get("reject-reason", "")[:2000],
        }
        url = reverse("accounts:reauth") + "?" + urlencode({"next": review_page_url(request_id)})
        return redirect_or_client_redirect(request, url)

    if decision == "approve":
        return review_act(
            request,
            request_id,
            operation=operation,
            allowed=True,
            form=VoteForm(request.POST),
            form_key="approve_form",
            region="approvals",
            call=lambda data: review.request_approve(
                request_id=request_id,
                actor=signed_in_user(request),
                scope_hash=data["scope_hash"],
                reauthenticated_at=at,
                expected_version=data["version"],
            ),
            success=_("Approval recorded."),
        )
    return review_act(
        request,
        request_id,
        operation=operation,
        allowed=True,
        form=RejectVoteForm(request.POST),
        form_key="reject_form",
        region="approvals",
        call=lambda data: review.request_reject(
            request_id=request_id,
            actor=signed_in_user(request),
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
