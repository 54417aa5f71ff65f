"""
The periodic review of a non-disclosure order, posted from the request's overview tab.

Only legal officers review; anyone else gets a 403 and leaves an `authz.denied` event. A
review the service refuses (bad input, a stale page) re-renders the overview's
non-disclosure region with its errors and status 200; a recorded one redirects to the
overview (Post/Redirect/Get; htmx gets a client redirect, since the whole tab changes).
"""

from __future__ import annotations

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
from disclosures.forms import NondisclosureReviewForm
from disclosures.models import LegalRequest
from disclosures.services.nondisclosure import nondisclosure_review
from disclosures.services.review import denial_record
from disclosures.views.requests import overview_context

TEMPLATE = "disclosures/requests/overview.html"
REGION = "nondisclosure"
OPERATION = "nondisclosure_review"


@require_POST
@never_cache
def request_nondisclosure_review(request: HttpRequest, request_id: int) -> HttpResponse:
    if not permissions.can_prepare(request.user):
        denial_record(request_id=request_id, actor=signed_in_user(request), operation=OPERATION)
        raise PermissionDenied
    legal_request = get_object_or_404(LegalRequest, pk=request_id)
    form = NondisclosureReviewForm(
        request.POST, indefinite=legal_request.has_indefinite_nondisclosure
    )
    if form.is_valid():
        data = form.cleaned_data
        done, _result = call_for_form(
            form,
            lambda: nondisclosure_review(
                request_id=request_id,
                actor=signed_in_user(request),
                outcome=data["outcome"],
                note=data["note"],
                expires_at=data.get("expires_at"),
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, _("Review of the non-disclosure order recorded."))
            url = reverse("disclosures:request", args=[request_id])
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return redirect(url)
    template = TEMPLATE + (f"#{REGION}" if getattr(request, "htmx", False) else "")
    return render(request, template, overview_context(request, request_id, nondisclosure_form=form))


urlpatterns = [
    path(
        "requests/<int:request_id>/nondisclosure/review/",
        request_nondisclosure_review,
        name="request_nondisclosure_review",
    ),
]
