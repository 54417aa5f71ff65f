"""
Preservation holds: placing the hold from the review tab ("Place hold" replaces the scope
freeze for a preservation order), and extending or releasing it from the holds panel of the
overview tab.

Only legal officers act; anyone else gets a 403 and leaves an `authz.denied` event. Each
form needs its confirmation ticked. A refusal (no confirmation, a stale page, a rule of the
service) re-renders the form with its message and status 200 (htmx gets the form's region
only); success redirects to the overview's holds panel (Post/Redirect/Get; htmx gets a client
redirect, since the status and the whole tab change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.request_user import signed_in_user
from core.forms import call_for_form
from disclosures import permissions
from disclosures.forms_preservation import HoldExtendForm, HoldPlaceForm, HoldReleaseForm
from disclosures.models import LegalRequest
from disclosures.selectors import preservation as selectors
from disclosures.selectors.review import mandatory_checks_passed
from disclosures.services import preservation
from disclosures.services.review import denial_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

PLACE_TEMPLATE = "disclosures/preservation/place.html"
HOLDS_TEMPLATE = "disclosures/preservation/holds.html"


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _legal_request(request_id: int) -> LegalRequest:
    return get_object_or_404(LegalRequest.objects.select_related("authority"), pk=request_id)


def _authorize(request: HttpRequest, request_id: int, operation: str) -> None:
    if not permissions.can_prepare(request.user):
        denial_record(request_id=request_id, actor=signed_in_user(request), operation=operation)
        raise PermissionDenied


def _done(request: HttpRequest, request_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("disclosures:request", args=[request_id]) + "#holds-panel"
    return HttpResponseClientRedirect(url) if _is_htmx(request) else redirect(url)


def place_context(
    legal_request: LegalRequest, *, form: HoldPlaceForm | None = None, missing: Any = None
) -> dict[str, Any]:
    """What the "Place hold" form shows: the confirmation and the checks still missing."""
    if missing is None:
        missing = mandatory_checks_passed(legal_request)[1]
    if form is None:
        form = HoldPlaceForm(
            legal_request=legal_request, accounts=selectors.accounts_to_hold(legal_request)
        )
    return {"legal_request": legal_request, "hold_place_form": form, "missing": missing}


def panel_context(
    legal_request: LegalRequest,
    *,
    user: User | AnonymousUser,
    panel: selectors.HoldsPanel | None = None,
    extend_form: HoldExtendForm | None = None,
    release_form: HoldReleaseForm | None = None,
) -> dict[str, Any]:
    """What the holds panel shows, and which of its forms the user may use."""
    panel = panel or selectors.holds_panel(legal_request)
    preserving = legal_request.status == LegalRequest.Status.PRESERVING
    can_act = permissions.can_prepare(user) and preserving and panel.active > 0
    return {
        "legal_request": legal_request,
        "panel": panel,
        "can_extend": can_act and panel.extensible,
        "can_release": can_act,
        "hold_extend_form": extend_form
        or HoldExtendForm(
            legal_request=legal_request, holds=panel.active, expires_at=panel.expires_at
        ),
        "hold_release_form": release_form or HoldReleaseForm(holds=panel.active),
    }


@require_POST
@never_cache
def hold_place(request: HttpRequest, request_id: int) -> HttpResponse:
    _authorize(request, request_id, "hold_place")
    legal_request = _legal_request(request_id)
    form = HoldPlaceForm(
        request.POST,
        legal_request=legal_request,
        accounts=selectors.accounts_to_hold(legal_request),
    )
    if form.is_valid():
        done, holds = call_for_form(
            form,
            lambda: preservation.hold_place(
                request_id=request_id,
                actor=signed_in_user(request),
                expected_version=form.cleaned_data["version"],
            ),
        )
        if done:
            return _done(
                request,
                request_id,
                _("Hold placed on %(n)d account(s): nothing is produced.") % {"n": len(holds)},
            )
        legal_request = _legal_request(request_id)  # the refusal may follow a lost race
    template = PLACE_TEMPLATE + ("#place-form" if _is_htmx(request) else "")
    return render(request, template, place_context(legal_request, form=form))


def _panel_action(
    request: HttpRequest,
    request_id: int,
    *,
    operation: str,
    form_key: str,
    make_form: Callable[[LegalRequest, selectors.HoldsPanel], forms.Form],
    call: Callable[[dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    _authorize(request, request_id, operation)
    legal_request = _legal_request(request_id)
    panel = selectors.holds_panel(legal_request)
    form = make_form(legal_request, panel)
    if form.is_valid():
        done, _result = call_for_form(form, lambda: call(form.cleaned_data))
        if done:
            return _done(request, request_id, success)
        legal_request = _legal_request(request_id)  # the refusal may follow a lost race
        panel = selectors.holds_panel(legal_request)
    template = HOLDS_TEMPLATE + ("#holds-panel" if _is_htmx(request) else "")
    context = panel_context(legal_request, user=request.user, panel=panel)
    context[form_key] = form  # the form that was posted, with its errors
    return render(request, template, context)


@require_POST
@never_cache
def hold_extend(request: HttpRequest, request_id: int) -> HttpResponse:
    return _panel_action(
        request,
        request_id,
        operation="hold_extend",
        form_key="hold_extend_form",
        make_form=lambda legal_request, panel: HoldExtendForm(
            request.POST,
            legal_request=legal_request,
            holds=panel.active,
            expires_at=panel.expires_at,
        ),
        call=lambda data: preservation.hold_extend(
            request_id=request_id,
            actor=signed_in_user(request),
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=_("Hold extended."),
    )


@require_POST
@never_cache
def hold_release(request: HttpRequest, request_id: int) -> HttpResponse:
    return _panel_action(
        request,
        request_id,
        operation="hold_release",
        form_key="hold_release_form",
        make_form=lambda _request, panel: HoldReleaseForm(request.POST, holds=panel.active),
        call=lambda data: preservation.hold_release(
            request_id=request_id,
            actor=signed_in_user(request),
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=_("Hold released; the request is closed."),
    )


urlpatterns = [
    path("requests/<int:request_id>/holds/place/", hold_place, name="hold_place"),
    path("requests/<int:request_id>/holds/extend/", hold_extend, name="hold_extend"),
    path("requests/<int:request_id>/holds/release/", hold_release, name="hold_release"),
]
