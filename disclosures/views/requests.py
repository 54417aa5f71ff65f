"""The request list, intake, the overview tab, acknowledgment and the order document."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import call_for_form
from disclosures import permissions
from disclosures.downloads import document_download_name, stored_document_type
from disclosures.exceptions import DisclosureError
from disclosures.forms import NondisclosureReviewForm, RequestFilterForm, RequestForm
from disclosures.models import LegalRequest
from disclosures.selectors import requests as request_selectors
from disclosures.selectors.nondisclosure import (
    nondisclosure_review_state,
    nondisclosure_reviews_due,
)
from disclosures.selectors.preservation import holds_expiring
from disclosures.selectors.queues import next_request_for
from disclosures.selectors.readable import deadline_rule_label
from disclosures.services import intake

REVIEWS_DUE_SHOWN = 10
HOLDS_EXPIRING_SHOWN = 10


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def home(request: HttpRequest) -> HttpResponse:
    """
    Every request, open ones first by deadline; emergencies stand out. Above the list, the
    non-disclosure orders whose periodic review is overdue (one query, whatever their number).
    """
    require(permissions.can_view_requests(request.user))
    form = RequestFilterForm(request.GET or None)
    filters = form.filters()
    page = request_selectors.request_list_page(filters=filters, cursor=form.cursor_value())
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "page": page,
        "summary": request_selectors.request_summary(filters=filters),
        "query": query.urlencode(),
        "can_prepare": permissions.can_prepare(request.user),
    }
    template = "disclosures/requests/list.html"
    if getattr(request, "htmx", False):
        template += "#request-table"
    else:
        context["reviews_due"] = nondisclosure_reviews_due(limit=REVIEWS_DUE_SHOWN)
        context["holds_expiring"] = holds_expiring(limit=HOLDS_EXPIRING_SHOWN)
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@never_cache
@csrf_exempt  # checked by _request_new, once the document's upload limit is in place
def request_new(request: HttpRequest) -> HttpResponse:
    """Register a request as received (multipart: the order document comes with it)."""
    require(permissions.can_prepare(request.user))
    upload_limit = intake.DocumentUploadLimit(request)
    if request.method == "POST":
        # Before anything parses the body (the CSRF check reads request.POST): an oversized
        # document is then refused while it streams in, not after being received whole.
        request.upload_handlers.insert(0, upload_limit)
    return _request_new(request, upload_limit)


@csrf_protect
def _request_new(request: HttpRequest, upload_limit: intake.DocumentUploadLimit) -> HttpResponse:
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES)
        if upload_limit.refused:
            form.add_error("document", intake.document_too_big_message())
        if form.is_valid():
            done, legal_request = call_for_form(
                form,
                lambda: intake.request_register(
                    actor=signed_in_user(request),
                    data=form.to_input(),
                    document=form.cleaned_data.get("document"),
                ),
            )
            if done:
                messages.success(
                    request,
                    _("Request %(reference)s registered.") % {"reference": legal_request.reference},
                )
                return redirect("disclosures:request", request_id=legal_request.pk)
    else:
        form = RequestForm()
    return render(request, "disclosures/requests/new.html", {"form": form})


def overview_context(request: HttpRequest, request_id: int, **overrides: Any) -> dict[str, Any]:
    """The overview tab's context; `overrides` carry a bound form back with its errors."""
    try:
        overview = request_selectors.request_overview(request_id=request_id)
    except LegalRequest.DoesNotExist as exc:
        raise Http404 from exc
    legal_request = overview.request
    can_prepare = permissions.can_prepare(request.user)
    indefinite = legal_request.has_indefinite_nondisclosure
    expiry = legal_request.nondisclosure_expires_at
    context = {
        "overview": overview,
        "legal_request": legal_request,
        "tab": "overview",
        "can_prepare": can_prepare,
        "nondisclosure_review": nondisclosure_review_state(legal_request),
        # An order without an end date is reviewed; one with an end date can still be lifted.
        "can_review_nondisclosure": can_prepare
        and (indefinite or (expiry is not None and expiry > timezone.now())),
        "nondisclosure_form": NondisclosureReviewForm(indefinite=indefinite),
        "deadline_rule": deadline_rule_label(legal_request.deadline_rule),
    }
    context.update(overrides)
    return context


@require_GET
@never_cache
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """The overview tab: the order as received, its targets, evidence, policy and deadline."""
    require(permissions.can_view_requests(request.user))
    return render(
        request, "disclosures/requests/overview.html", overview_context(request, request_id)
    )


@require_POST
def request_acknowledge(request: HttpRequest, request_id: int) -> HttpResponse:
    require(permissions.can_prepare(request.user))
    if not LegalRequest.objects.filter(pk=request_id).exists():
        raise Http404
    try:
        intake.request_acknowledge(request_id=request_id, actor=signed_in_user(request))
    except DisclosureError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Receipt acknowledged."))
    return redirect("disclosures:request", request_id=request_id)


@require_GET
@never_cache
def request_document(request: HttpRequest, request_id: int) -> HttpResponseBase:
    """
    The order document, always as a download and never rendered by the browser, typed and
    named after what its bytes are (a PDF uploaded as "order.png" is served as "order.pdf").
    """
    require(permissions.can_view_requests(request.user))
    try:
        document = intake.request_document_download(
            request_id=request_id, actor=signed_in_user(request)
        )
    except (LegalRequest.DoesNotExist, intake.DocumentUnavailable) as exc:
        raise Http404 from exc
    except intake.DocumentIntegrityError as exc:
        messages.error(request, exc.message)
        return redirect("disclosures:request", request_id=request_id)
    content_type = stored_document_type(document.path)
    response = FileResponse(
        document.path.open("rb"),
        as_attachment=True,
        filename=document_download_name(
            name=document.name, content_type=content_type, fallback=f"order-{request_id}"
        ),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@never_cache
def request_next(request: HttpRequest) -> HttpResponse:
    """
    "Next request waiting for me": the request at a step this user can act on, soonest
    deadline first, other than the one they leave (`?after=`); at the approval step never
    one they prepared, registered or voted on.
    """
    require(permissions.can_view_requests(request.user))
    after = request.GET.get("after", "")
    after_id = int(after) if after.isascii() and after.isdigit() and len(after) <= 18 else None
    found = next_request_for(user=signed_in_user(request), after_id=after_id)
    if found is None:
        messages.info(request, _("Nothing else is waiting for you."))
        if permissions.can_approve(request.user) and not permissions.can_prepare(request.user):
            return redirect("disclosures:approvals")
        return redirect("disclosures:home")
    if found.status == LegalRequest.Status.APPROVED:
        return redirect("disclosures:request_release", request_id=found.pk)
    return redirect("disclosures:request_review", request_id=found.pk)


urlpatterns = [
    path("", home, name="home"),
    path("requests/next/", request_next, name="request_next"),
    path("requests/new/", request_new, name="request_new"),
    path("requests/<int:request_id>/", request_detail, name="request"),
    path("requests/<int:request_id>/acknowledge/", request_acknowledge, name="request_acknowledge"),
    path("requests/<int:request_id>/document/", request_document, name="request_document"),
]
