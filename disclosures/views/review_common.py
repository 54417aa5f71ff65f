"""Shared pieces of the review views: context, rendering, redirects, the pending vote."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts.request_user import signed_in_user
from core.forms import call_for_form
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
from disclosures.models import Approval, LegalRequest
from disclosures.selectors import review as selectors
from disclosures.selectors.readable import (
    checklist_progress,
    deadline_rule_label,
    missing_check_labels,
    offence_label,
    scope_summary,
)
from disclosures.services import review
from disclosures.services.workflow import approvals_needed

TEMPLATE = "disclosures/review/review.html"
PENDING_VOTE = "disclosures_pending_vote"
Status = LegalRequest.Status


def review_request_or_404(request_id: int) -> LegalRequest:
    return get_object_or_404(selectors.request_for_review(), pk=request_id)


def review_page_url(request_id: int) -> str:
    return reverse("disclosures:request_review", args=[request_id])


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def redirect_or_client_redirect(request: HttpRequest, url: str) -> HttpResponse:
    if is_htmx(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def require_action(request: HttpRequest, allowed: bool, *, request_id: int, operation: str) -> None:
    """A role that may not act gets a 403, and the attempt is recorded as `authz.denied`."""
    if not allowed:
        review.denial_record(
            request_id=request_id, actor=signed_in_user(request), operation=operation
        )
        raise PermissionDenied


def pending_vote_pop(request: HttpRequest, request_id: int) -> dict[str, Any] | None:
    pending = request.session.get(PENDING_VOTE)
    if not pending or pending.get("request_id") != request_id:
        return None
    del request.session[PENDING_VOTE]
    return pending


def review_context(
    request: HttpRequest, legal_request: LegalRequest, **overrides: Any
) -> dict[str, Any]:
    user = signed_in_user(request)
    status = legal_request.status
    scope = selectors.live_scope(legal_request)
    votes = selectors.votes_on(scope) if scope else []
    facts = selectors.request_facts(legal_request)
    rows = selectors.checklist_rows(legal_request, facts=facts)
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
    summary = selectors.act_summary(legal_request, facts=facts, scope=scope)
    context: dict[str, Any] = {
        "legal_request": legal_request,
        "tab": "review",
        "rows": rows,
        "missing": [row.item.code for row in rows if row.mandatory and not row.satisfied],
        "missing_labels": missing_check_labels(rows),
        "progress": checklist_progress(rows),
        "deadline_rule": deadline_rule_label(legal_request.deadline_rule),
        "offence": offence_label(legal_request.offence_category),
        "targets": selectors.target_summary(legal_request),
        "scope": scope,
        "scope_pretty": selectors.scope_pretty(scope) if scope else "",
        "facts": facts,
        "summary": summary,
        "scope_summary": scope_summary(legal_request, scope=scope, act=summary) if scope else None,
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
        "can_withdraw": can_prepare
        and (status in LegalRequest.OPEN or status == Status.PRESERVING),
        "can_close": can_prepare and status in review.CLOSABLE,
        "can_submit": can_prepare and status == Status.IN_REVIEW,
        "can_close_no_records": can_prepare
        and status == Status.IN_REVIEW
        and not legal_request.is_preservation
        and not facts.data_exists,
        "can_reopen": (can_prepare or can_approve)
        and status in (Status.PENDING_APPROVAL, Status.APPROVED),
        "can_vote": can_approve and status == Status.PENDING_APPROVAL and scope is not None,
        "is_approver": can_approve,
        "check_form": CheckForm(contacts=contacts),
        "checks_form": ChecksForm(contacts=contacts, emergency=legal_request.emergency),
        "start_form": VersionForm(prefix="start"),
        "clarify_form": ClarificationForm(),
        "resume_form": VersionForm(prefix="resume"),
        "refuse_form": RefuseForm(),
        "withdraw_form": ReasonForm(prefix="withdraw"),
        "close_form": VersionForm(prefix="close"),
        "submit_form": ConfirmVersionForm(prefix="submit"),
        "no_records_form": ConfirmVersionForm(prefix="norecords"),
        "reopen_form": ConfirmReasonForm(prefix="reopen"),
        "approve_form": VoteForm(),
        "reject_form": RejectVoteForm(initial=reject_initial),
    }
    context.update(overrides)
    return context


def _render(
    request: HttpRequest, legal_request: LegalRequest, *, region: str, **overrides: Any
) -> HttpResponse:
    template = TEMPLATE + (f"#{region}" if is_htmx(request) else "")
    return render(request, template, review_context(request, legal_request, **overrides))


def review_act(
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
    require_action(request, allowed, request_id=request_id, operation=operation)
    legal_request = review_request_or_404(request_id)
    if form.is_valid():
        done, _result = call_for_form(form, lambda: call(form.cleaned_data))
        if done:
            messages.success(request, success)
            return redirect_or_client_redirect(request, review_page_url(request_id))
        legal_request = review_request_or_404(request_id)  # the refusal may follow a lost race
    return _render(request, legal_request, region=region, **{form_key: form})
