"""
The release tab of a legal request: building the package and its QA, the release itself, the
releaser's downloads, and the notices owed to the users.

Each POST authorizes by role, makes one service call and redirects (Post/Redirect/Get). A
refusal by a domain rule re-renders the tab with its message and status 200; a role refusal
is a 403 and leaves an `authz.denied` event. A stored package that fails its integrity check
gets its own page: 409 before release (build it again), 410 once released (it cannot be
served again). Releasing needs a fresh re-authentication: the tab links to the password
confirmation, which comes back here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import reauth
from accounts.permissions import require
from accounts.request_user import signed_in_user
from disclosures import permissions
from disclosures.exceptions import DisclosureError, PackageDamaged, ReauthenticationRequired
from disclosures.forms_review import ReleaseConfirmForm
from disclosures.models import LegalRequest, ReleasePackage
from disclosures.selectors import release as selectors
from disclosures.selectors import review as review_selectors
from disclosures.services import release
from disclosures.services.deadlines import deadline_state
from disclosures.services.review import denial_record

TEMPLATE = "disclosures/release/release.html"
DAMAGED_TEMPLATE = "disclosures/release/package_damaged.html"
Status = LegalRequest.Status


def _page_url(request_id: int) -> str:
    return reverse("disclosures:request_release", args=[request_id])


def _reauth_url(request_id: int) -> str:
    return f"{reverse('accounts:reauth')}?{urlencode({'next': _page_url(request_id)})}"


def _require_action(request: HttpRequest, *, request_id: int | str, operation: str) -> None:
    """Only release operators act here; anyone else gets a 403, recorded as `authz.denied`."""
    if not permissions.can_release(request.user):
        denial_record(request_id=request_id, actor=signed_in_user(request), operation=operation)
        raise PermissionDenied


def _context(
    request: HttpRequest,
    request_id: int,
    *,
    error: str = "",
    release_form: ReleaseConfirmForm | None = None,
) -> dict[str, Any]:
    try:
        page = selectors.release_page(request_id=request_id)
    except LegalRequest.DoesNotExist as exc:
        raise Http404 from exc
    user = request.user
    legal_request = page.request
    operator = permissions.can_release(user)
    approved = legal_request.status == Status.APPROVED
    latest = page.latest
    released = page.released
    can_release = (
        operator
        and approved
        and latest is not None
        and latest.status == ReleasePackage.Status.QA_PASSED
    )
    return {
        "page": page,
        "legal_request": legal_request,
        "tab": "release",
        "error": error,
        "deadline_state": deadline_state(legal_request),
        "can_build": operator and approved,
        "can_release": can_release,
        "release_form": release_form or ReleaseConfirmForm(),
        "summary": review_selectors.release_summary(legal_request) if can_release else None,
        "fresh": reauth.is_fresh(reauth.reauthenticated_at(request)),
        "reauth_url": _reauth_url(request_id),
        "can_download": operator
        and released is not None
        and released.status == ReleasePackage.Status.RELEASED
        and released.released_by_id == user.pk
        and released.downloads_left > 0,
    }


def _refused(
    request: HttpRequest,
    request_id: int,
    message: str,
    *,
    release_form: ReleaseConfirmForm | None = None,
) -> HttpResponse:
    context = _context(request, request_id, error=message, release_form=release_form)
    return render(request, TEMPLATE, context)


def _damaged(request: HttpRequest, request_id: int, damaged: PackageDamaged) -> HttpResponse:
    """
    The refusal page of a damaged package. Gone (410) once released: that copy can never
    be served again. A conflict (409) before: building again replaces it.
    """
    context = _context(request, request_id)
    context["damaged"] = damaged
    return render(request, DAMAGED_TEMPLATE, context, status=410 if damaged.released else 409)


@require_GET
@never_cache
def request_release(request: HttpRequest, request_id: int) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    return render(request, TEMPLATE, _context(request, request_id))


@require_POST
@never_cache
def package_build(request: HttpRequest, request_id: int) -> HttpResponse:
    _require_action(request, request_id=request_id, operation="package_build")
    if not LegalRequest.objects.filter(pk=request_id).exists():
        raise Http404
    try:
        package = release.package_build(request_id=request_id, actor=signed_in_user(request))
    except PackageDamaged as exc:
        return _damaged(request, request_id, exc)
    except DisclosureError as exc:
        return _refused(request, request_id, str(exc.message))
    if package.status == ReleasePackage.Status.QA_PASSED:
        messages.success(request, _("Package built; its QA passed."))
    else:
        messages.error(request, _("Package built, but its QA failed: it cannot be released."))
    return redirect(_page_url(request_id))


@require_POST
@never_cache
def package_release(request: HttpRequest, request_id: int) -> HttpResponse:
    _require_action(request, request_id=request_id, operation="package_release")
    if not LegalRequest.objects.filter(pk=request_id).exists():
        raise Http404
    form = ReleaseConfirmForm(request.POST)
    if not form.is_valid():  # releasing is irreversible: nothing happens unconfirmed
        return _refused(
            request, request_id, _("Nothing was released: confirm first."), release_form=form
        )
    try:
        release.package_release(
            request_id=request_id,
            actor=signed_in_user(request),
            reauthenticated_at=reauth.reauthenticated_at(request),
        )
    except ReauthenticationRequired:
        return redirect(_reauth_url(request_id))
    except PackageDamaged as exc:
        return _damaged(request, request_id, exc)
    except DisclosureError as exc:
        return _refused(request, request_id, str(exc.message))
    messages.success(request, _("Released. The package can now be downloaded by you."))
    return redirect(_page_url(request_id))


@require_GET
@never_cache
def package_download(request: HttpRequest, package_id: int) -> HttpResponse:
    """The decrypted package, as an attachment that the browser never renders or caches."""
    found = (
        ReleasePackage.objects.filter(pk=package_id)
        .select_related("request")
        .only("id", "request__id", "request__reference")
        .first()
    )
    _require_action(
        request, request_id=found.request.pk if found else "", operation="package_download"
    )
    if found is None:
        raise Http404
    try:
        blob = release.package_download(package_id=package_id, actor=signed_in_user(request))
    except PackageDamaged as exc:
        return _damaged(request, found.request.pk, exc)
    except DisclosureError as exc:
        return _refused(request, found.request.pk, str(exc.message))
    response = HttpResponse(blob, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{found.request.reference}-disclosure.zip"
    )
    response["Content-Length"] = str(len(blob))
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


urlpatterns = [
    path("requests/<int:request_id>/release/", request_release, name="request_release"),
    path("requests/<int:request_id>/package/build/", package_build, name="package_build"),
    path("requests/<int:request_id>/package/release/", package_release, name="package_release"),
    path("packages/<int:package_id>/download/", package_download, name="package_download"),
]
