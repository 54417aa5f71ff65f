"""The case page and the acts on it: claim, release, escalate, reveal media, decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.formats import time_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import form_add_refusal
from core.parsing import parse_id
from moderation import case_panels, permissions
from moderation.exceptions import ModerationError
from moderation.forms import DecisionForm, QueueFilterForm
from moderation.models import Case, Media, Report
from moderation.selectors import cases as case_selectors
from moderation.selectors import evidence as evidence_selectors
from moderation.selectors import queue as queue_selectors
from moderation.services import claims, decisions, evidence
from moderation.services.priority import COMPONENT_LABELS
from moderation.views.queue import id_url, say_if_resting
from outbox.selectors import deliveries_caused_by_count

REVEALED = "revealed_media"


def _case_or_404(case_id: int) -> Case:
    try:
        return case_selectors.case_for_page(case_id=case_id)
    except Case.DoesNotExist as exc:
        raise Http404 from exc


def _page_context(
    request: HttpRequest, case_id: int, form: DecisionForm | None = None
) -> dict[str, Any]:
    try:
        ctx = case_selectors.case_context(case_id=case_id)
    except Case.DoesNotExist as exc:
        raise Http404 from exc
    case = ctx.case
    mine = case.status == Case.Status.CLAIMED and case.claimed_by_id == request.user.pk
    if form is None and mine:
        form = DecisionForm(
            initial=decisions.decision_defaults(case=case), chat_kind=case.subject.chat_kind
        )
    components = case.priority_explanation.get("components", {})
    return {
        "ctx": ctx,
        "case": case,
        "mine": mine,
        "form": form,
        "can_decide": mine and permissions.can_decide(request.user),
        "can_claim": permissions.can_triage(request.user)
        and case.status in (Case.Status.OPEN, Case.Status.ESCALATED, Case.Status.LEGAL)
        and (not case.escalation or permissions.can_handle_escalations(request.user)),
        "priority_rows": [(str(COMPONENT_LABELS.get(k, k)), v) for k, v in components.items()],
        "revealed": set(request.session.get(REVEALED, [])),
        "evidence_on_hold": evidence_selectors.account_on_hold(case.subject.author_id),
        "panels": case_panels.panels_for(request, ctx),
        # The author's other cases link here: one reverse for up to 40 links.
        "case_url": id_url("moderation:case"),
        **_media_context(request, ctx.evidence_media),
    }


def _media_context(request: HttpRequest, media: Media | None) -> dict[str, Any]:
    """What the `media` partial needs besides the report, on the page and after a reveal."""
    return {
        "media": media,
        "can_view_original_media": permissions.can_view_original_media(request.user),
    }


@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    require(permissions.can_view_case(request.user))
    context = _page_context(request, case_id)
    case = context["case"]
    if not permissions.can_triage(request.user) and not case_selectors.visible_to_legal(case=case):
        raise Http404  # legal staff see only what was escalated to them or cited by a request
    if context["mine"]:
        claims.case_renew_claim(case_id=case.pk, actor=signed_in_user(request))
    return render(request, "moderation/case.html", context)


def _back_to_case(request: HttpRequest, case_id: int) -> HttpResponse:
    url = f"/moderation/cases/{case_id}/"
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect("moderation:case", case_id=case_id)


@require_POST
def case_claim(request: HttpRequest, case_id: int) -> HttpResponse:
    require(permissions.can_triage(request.user))
    _case_or_404(case_id)
    try:
        claims.case_claim(case_id=case_id, actor=signed_in_user(request))
    except ModerationError as exc:
        messages.error(request, exc.message)
    return _back_to_case(request, case_id)


@require_POST
def case_release(request: HttpRequest, case_id: int) -> HttpResponse:
    require(permissions.can_triage(request.user))
    _case_or_404(case_id)
    try:
        claims.case_release(case_id=case_id, actor=signed_in_user(request))
        messages.success(request, _("Case returned to the queue."))
    except ModerationError as exc:
        messages.error(request, exc.message)
        return _back_to_case(request, case_id)
    return redirect("moderation:home")


@require_POST
def case_heartbeat(request: HttpRequest, case_id: int) -> HttpResponse:
    """Keeps the claim alive while the page stays open (htmx, every two minutes)."""
    require(permissions.can_triage(request.user))
    try:
        case = claims.case_renew_claim(case_id=case_id, actor=signed_in_user(request))
    except (ModerationError, Case.DoesNotExist):
        return HttpResponse(_("Your claim on this case has ended."), status=200)
    return HttpResponse(
        _("Claimed until %(time)s")
        % {"time": time_format(localtime(case.claim_expires_at), "TIME_FORMAT")}
    )


@require_POST
def case_escalate(request: HttpRequest, case_id: int) -> HttpResponse:
    require(permissions.can_triage(request.user))
    _case_or_404(case_id)
    try:
        claims.case_escalate(
            case_id=case_id,
            actor=signed_in_user(request),
            to=request.POST.get("to", ""),
            note=request.POST.get("note", ""),
        )
    except ModerationError as exc:
        messages.error(request, exc.message)
        return _back_to_case(request, case_id)
    messages.success(request, _("Case escalated."))
    return redirect("moderation:home")


def report_for_case_or_404(request: HttpRequest, case_id: int, report_id: int) -> Report:
    """A report of a case the user may open (the case page's rule); 404 otherwise."""
    report = get_object_or_404(Report.objects.select_related("case"), pk=report_id, case_id=case_id)
    assert report.case is not None  # filtered by its case
    if not permissions.can_triage(request.user) and not case_selectors.visible_to_legal(
        case=report.case
    ):
        raise Http404  # legal staff see only what was escalated to them or cited by a request
    return report


@require_POST
def media_reveal(request: HttpRequest, case_id: int, report_id: int) -> HttpResponse:
    require(permissions.can_view_case(request.user))
    report = report_for_case_or_404(request, case_id, report_id)
    evidence.media_reveal(report=report, actor=signed_in_user(request))
    revealed = set(request.session.get(REVEALED, []))
    revealed.add(report.pk)
    request.session[REVEALED] = sorted(revealed)[-200:]
    if getattr(request, "htmx", False):
        return render(
            request,
            "moderation/case.html#media",
            {
                "evidence": report,
                "revealed": revealed,
                "case": report.case,
                **_media_context(request, case_selectors.media_for_report(report=report)),
            },
        )
    return redirect("moderation:case", case_id=case_id)


@require_POST
def case_decide(request: HttpRequest, case_id: int) -> HttpResponse:
    require(permissions.can_decide(request.user))
    case = _case_or_404(case_id)
    form = DecisionForm(request.POST, chat_kind=case.subject.chat_kind)
    if form.is_valid():
        try:
            made = decisions.case_decide(
                case_id=case_id, actor=signed_in_user(request), decision=form.to_input()
            )
        except ModerationError as exc:
            form_add_refusal(form, exc)
        else:
            queued = deliveries_caused_by_count(made)
            messages.success(
                request,
                ngettext(
                    "Decision recorded; the statement of reasons is ready and %(count)d "
                    "delivery to the platform is queued.",
                    "Decision recorded; the statement of reasons is ready and %(count)d "
                    "deliveries to the platform are queued.",
                    queued,
                )
                % {"count": queued},
            )
            if request.POST.get("next") == "1":
                return _claim_next_after(request)
            if getattr(request, "htmx", False):
                # htmx would follow a plain redirect and swap the queue into the form.
                return HttpResponseClientRedirect(reverse("moderation:home"))
            return redirect("moderation:home")
    context = _page_context(request, case_id, form=form)
    if getattr(request, "htmx", False):
        return render(request, "moderation/case.html#decision", context)
    return render(request, "moderation/case.html", context)


def _claim_next_after(request: HttpRequest) -> HttpResponse:
    default = queue_selectors.filters_for_moderator(user=signed_in_user(request))
    filters = QueueFilterForm({}).filters(default=default)
    try:
        case = claims.case_claim_next(actor=signed_in_user(request), filters=filters)
    except ModerationError:
        case = None
    say_if_resting(request)
    if case is None:
        messages.info(request, _("The queue is empty. Well done."))
        target = "/moderation/"
    else:
        target = f"/moderation/cases/{case.pk}/"
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(target)
    return redirect(target)


@require_GET
def legal_escalations(request: HttpRequest) -> HttpResponse:
    require(
        permissions.can_view_legal_escalations(request.user)
        or permissions.can_handle_escalations(request.user)
    )
    after = request.GET.get("after", "")
    cases = case_selectors.legal_escalations(after=parse_id(after))
    return render(
        request,
        "moderation/legal_escalations.html",
        {"cases": cases, "next_after": cases[-1].pk if len(cases) == 50 else None},
    )


urlpatterns = [
    path("cases/<int:case_id>/", case_detail, name="case"),
    path("cases/<int:case_id>/claim/", case_claim, name="case_claim"),
    path("cases/<int:case_id>/release/", case_release, name="case_release"),
    path("cases/<int:case_id>/heartbeat/", case_heartbeat, name="case_heartbeat"),
    path("cases/<int:case_id>/escalate/", case_escalate, name="case_escalate"),
    path("cases/<int:case_id>/decide/", case_decide, name="case_decide"),
    path("cases/<int:case_id>/media/<int:report_id>/reveal/", media_reveal, name="media_reveal"),
    path("legal/", legal_escalations, name="legal_escalations"),
]
