"""Appeals (DSA Art. 20): the senior moderators' queue, the appeal page, reversal statistics."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import form_add_refusal
from core.parsing import parse_id
from moderation import permissions
from moderation.exceptions import InvalidDecision, ModerationError
from moderation.forms import DecisionForm
from moderation.models import Appeal, Decision
from moderation.pseudonyms import pseudonym
from moderation.selectors import appeals as appeal_selectors
from moderation.services import appeals as appeal_services

DETAIL_TEMPLATE = "moderation/appeals/detail.html"


class AppealFilterForm(forms.Form):
    """The queue's query string; an unknown status is a form error, never a crash."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All (pending first)")), *Appeal.Status.choices],
        required=False,
    )
    cursor = forms.RegexField(regex=r"^[01]_\d+$", required=False, widget=forms.HiddenInput)

    def status_value(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""

    def cursor_value(self) -> str | None:
        return (self.cleaned_data.get("cursor") or None) if self.is_valid() else None


class AppealOutcomeForm(forms.Form):
    """The senior moderator's answer; the new decision (for "modified") is a DecisionForm."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            (Appeal.Status.UPHELD, gettext_lazy("Uphold: the decision stands")),
            (Appeal.Status.REVERSED, gettext_lazy("Reverse: undo the decision entirely")),
            (Appeal.Status.MODIFIED, gettext_lazy("Modify: replace it with the decision below")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Reasons for the outcome (sent to the appellant)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )

    @property
    def is_modified(self) -> bool:
        return self.data.get("outcome") == Appeal.Status.MODIFIED


def _decision_initial(decision: Decision) -> dict[str, Any]:
    """The new decision starts as a copy of the appealed one: change only what the appeal won."""
    return {
        "actions": decision.actions,
        "countries": decision.countries,
        "restrict_days": decision.restrict_days,
        "suspend_days": decision.suspend_days,
        "ground": decision.ground,
        "legal_ground": decision.legal_ground,
        "terms_clause": decision.terms_clause,
        "dsa_category": decision.dsa_category,
        "dsa_keywords": decision.dsa_keywords,
        "facts": decision.facts,
        "explanation": decision.explanation,
    }


def _detail_or_404(appeal_id: int) -> appeal_selectors.AppealDetail:
    try:
        return appeal_selectors.appeal_detail(appeal_id=appeal_id)
    except Appeal.DoesNotExist as exc:
        raise Http404 from exc


def _detail_context(
    request: HttpRequest,
    detail: appeal_selectors.AppealDetail,
    form: AppealOutcomeForm | None = None,
    decision_form: DecisionForm | None = None,
) -> dict[str, Any]:
    appeal, decision = detail.appeal, detail.decision
    affected = detail.appellant_is_affected
    statement = detail.statement
    return {
        "detail": detail,
        "appeal": appeal,
        "decision": decision,
        "case": decision.case,
        "appellant_is_affected": affected,
        "appellant_label": (
            str(decision.case.subject.author)
            if affected
            else _("reporter %(pseudonym)s")
            % {"pseudonym": pseudonym("reporter", appeal.appellant_id)}
        ),
        "statement_json": (
            json.dumps(statement.payload, indent=2, sort_keys=True, ensure_ascii=False)
            if statement
            else ""
        ),
        "own_decision": request.user.pk in detail.earlier_deciders,
        "form": form or AppealOutcomeForm(),
        "decision_form": decision_form
        or DecisionForm(
            initial=_decision_initial(decision), chat_kind=decision.case.subject.chat_kind
        ),
    }


@require_GET
@vary_on_headers("HX-Request")
def appeal_list(request: HttpRequest) -> HttpResponse:
    require(permissions.can_decide_appeals(request.user))
    form = AppealFilterForm(request.GET or None)
    page = appeal_selectors.appeal_queue(status=form.status_value(), cursor=form.cursor_value())
    query = request.GET.copy()
    query.pop("cursor", None)
    template = "moderation/appeals/list.html"
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "appeal-table":
        template += "#appeal-table"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "pending": appeal_selectors.appeal_pending_count(),
            "can_view_stats": permissions.can_view_stats(request.user),
        },
    )


@require_GET
def appeal_next(request: HttpRequest) -> HttpResponse:
    """The oldest appeal waiting for this senior (other than the one just left), or the list."""
    require(permissions.can_decide_appeals(request.user))
    after = parse_id(request.GET.get("after", ""))
    found = appeal_selectors.appeal_next_for(user_id=signed_in_user(request).pk, after=after)
    if found is None:
        messages.info(request, _("No other appeal is waiting for you."))
        return redirect("moderation:appeals")
    return redirect("moderation:appeal", appeal_id=found)


@require_GET
def appeal_detail(request: HttpRequest, appeal_id: int) -> HttpResponse:
    require(permissions.can_decide_appeals(request.user))
    detail = _detail_or_404(appeal_id)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, detail))


@require_POST
def appeal_decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    require(permissions.can_decide_appeals(request.user))
    chat_kind = _detail_or_404(appeal_id).decision.case.subject.chat_kind
    form = AppealOutcomeForm(request.POST)
    decision_form = DecisionForm(request.POST, chat_kind=chat_kind) if form.is_modified else None
    valid = form.is_valid()
    if decision_form is not None:
        valid = decision_form.is_valid() and valid
    if valid:
        try:
            appeal_services.appeal_decide(
                appeal_id=appeal_id,
                actor=signed_in_user(request),
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                new_decision=decision_form.to_input() if decision_form else None,
            )
        except InvalidDecision as exc:
            form_add_refusal(decision_form or form, exc)
        except ModerationError as exc:
            form_add_refusal(form, exc)
        else:
            return _after_decision(request, appeal_id)
    # Re-read: after a lost race the page must show what the other moderator decided.
    context = _detail_context(request, _detail_or_404(appeal_id), form, decision_form)
    if getattr(request, "htmx", False):
        return render(request, DETAIL_TEMPLATE + "#appeal-outcome", context)
    return render(request, DETAIL_TEMPLATE, context)


def _after_decision(request: HttpRequest, appeal_id: int) -> HttpResponse:
    if getattr(request, "htmx", False):
        context = _detail_context(request, _detail_or_404(appeal_id))
        # The heading's status badge changed too: swapped out of band with the outcome.
        context["status_out_of_band"] = True
        response = render(request, DETAIL_TEMPLATE + "#appeal-outcome", context)
        response["HX-Trigger"] = "appeal-decided"
        return response
    messages.success(request, _("Appeal decided; the appellant will be told the outcome."))
    return redirect("moderation:appeal", appeal_id=appeal_id)


@require_GET
def appeal_stats(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_stats(request.user))
    return render(
        request, "moderation/appeals/stats.html", {"rates": appeal_selectors.reversal_rates()}
    )


urlpatterns = [
    path("appeals/", appeal_list, name="appeals"),
    path("appeals/stats/", appeal_stats, name="appeal_stats"),
    path("appeals/next/", appeal_next, name="appeal_next"),
    path("appeals/<int:appeal_id>/", appeal_detail, name="appeal"),
    path("appeals/<int:appeal_id>/decide/", appeal_decide, name="appeal_decide"),
]
