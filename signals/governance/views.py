"""
Screens of governed automation: the detectors and their modes, the automatic-action rules,
and the review queue of sampled automatic actions. Changes need a fresh step-up: without
one the view sends the user to confirm it is them and changes nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import reauth
from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.errors import DomainError, InvalidInput, NotPermitted
from core.forms import call_for_form
from core.parsing import parse_id
from signals.governance import permissions, selectors, services
from signals.governance.exceptions import StepUpRequired
from signals.governance.forms import DetectorModeForm, ReviewForm, RuleForm
from signals.governance.modes import detector_mode_change
from signals.models import AutomatedAction, Detector


def _step_up(request: HttpRequest, back: str) -> HttpResponse:
    """Nothing is written: the user confirms it is them, then comes back to the page."""
    messages.warning(request, _("Changing automation needs a fresh confirmation that it is you."))
    return redirect(f"{reverse('accounts:reauth')}?{urlencode({'next': back})}")


def _fresh(request: HttpRequest) -> bool:
    return reauth.is_fresh(reauth.reauthenticated_at(request))


def _refusal_text(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput):
        return " ".join(m for messages_ in exc.errors.values() for m in messages_)
    return str(exc.message)


@require_GET
def detectors(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_detectors(request.user))
    return render(
        request,
        "signals/governance/detectors.html",
        {
            "rows": selectors.detector_rows(),
            "modes": Detector.Mode.choices,
            "can_manage": permissions.can_manage_detectors(request.user),
            "recent_days": selectors.RECENT_DAYS,
        },
    )


@require_POST
def detector_mode(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_detectors(request.user))
    page = reverse("signals:detectors")
    if not _fresh(request):
        return _step_up(request, page)
    form = DetectorModeForm(request.POST)
    if not form.is_valid():
        text = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, _("The mode was not changed: %(why)s") % {"why": text})
        return redirect(page)
    data = form.cleaned_data
    try:
        row = detector_mode_change(
            key=data["key"],
            mode=data["mode"],
            expected_mode=data["expected_mode"],
            reason=data["reason"],
            actor=signed_in_user(request),
            reauthenticated_at=reauth.reauthenticated_at(request),
        )
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except StepUpRequired:
        return _step_up(request, page)
    except DomainError as exc:
        messages.error(
            request, _("The mode was not changed: %(why)s") % {"why": _refusal_text(exc)}
        )
        return redirect(page)
    messages.success(
        request,
        _("%(detector)s is now %(mode)s.") % {"detector": row.key, "mode": row.get_mode_display()},
    )
    return redirect(page)


def _rule_prefix(category_id: int) -> str:
    return f"rule-{category_id}"


def _automation_page(
    request: HttpRequest, bound: tuple[int, RuleForm] | None = None
) -> HttpResponse:
    forms = []
    for row in selectors.rule_rows():
        if bound is not None and bound[0] == row.category.pk:
            form = bound[1]
        else:
            rule = row.rule
            form = RuleForm(
                initial={
                    "enabled": rule.enabled if rule else False,
                    "threshold": rule.threshold if rule else 98,
                    "actions": rule.actions if rule else [],
                    "sample_percent": rule.sample_percent if rule else 10,
                },
                prefix=_rule_prefix(row.category.pk),
            )
        forms.append((row, form))
    return render(
        request,
        "signals/governance/automation.html",
        {"rows": forms, "can_manage": permissions.can_manage_detectors(request.user)},
    )


@require_GET
def automation(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_detectors(request.user))
    return _automation_page(request)


@require_POST
def automation_rule(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_detectors(request.user))
    page = reverse("signals:automation")
    if not _fresh(request):
        return _step_up(request, page)
    category_id = parse_id(request.POST.get("category"))
    if category_id is None or not selectors.category_exists(category_id=category_id):
        raise Http404
    form = RuleForm(request.POST, prefix=_rule_prefix(category_id))
    if form.is_valid():
        ok, rule = call_for_form(
            form,
            lambda: services.rule_update(
                category_id=category_id,
                actor=signed_in_user(request),
                reauthenticated_at=reauth.reauthenticated_at(request),
                **form.settings(),
            ),
        )
        if ok:
            messages.success(
                request, _("Rule saved for %(category)s.") % {"category": rule.category.name}
            )
            return redirect(page)
    return _automation_page(request, bound=(category_id, form))


@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    require(permissions.can_review_automated_actions(request.user))
    after = selectors.ReviewCursor.decode(request.GET.get("cursor"))
    page = selectors.review_queue_page(after=after)
    items, more = page[: selectors.REVIEW_PAGE_SIZE], len(page) > selectors.REVIEW_PAGE_SIZE
    return render(
        request,
        "signals/governance/reviews.html",
        {
            "items": items,
            "next_cursor": selectors.ReviewCursor(items[-1].pk).encode() if more else "",
            "first_page": after is None,
            "pending": selectors.review_pending_count(),
            "form": ReviewForm(),
        },
    )


@require_POST
def review(request: HttpRequest, action_id: int) -> HttpResponse:
    require(permissions.can_review_automated_actions(request.user))
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("signals:reviews")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        text = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, _("The review was not saved: %(why)s") % {"why": text})
        return redirect(back)
    try:
        services.automated_action_review(
            action_id=action_id,
            verdict=form.cleaned_data["verdict"],
            note=form.cleaned_data["note"],
            actor=signed_in_user(request),
        )
    except AutomatedAction.DoesNotExist as exc:
        raise Http404 from exc
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except DomainError as exc:
        messages.error(
            request, _("The review was not saved: %(why)s") % {"why": _refusal_text(exc)}
        )
        return redirect(back)
    messages.success(request, _("Review saved."))
    return redirect(back)
