"""
The reported media itself, decrypted for one response: the rendition the case page shows,
and the original file as received, for the roles that need it, every time recorded.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.permissions import require
from accounts.request_user import signed_in_user
from moderation import permissions
from moderation.exceptions import MediaUnavailable
from moderation.models import Media, Report
from moderation.selectors import cases as case_selectors
from moderation.services import media as media_services
from moderation.views.cases import REVEALED, report_for_case_or_404


def _private(response: HttpResponse) -> HttpResponse:
    """Never kept by a browser or proxy cache, never sniffed into another type."""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _media_or_404(report: Report) -> Media:
    media = case_selectors.media_for_report(report=report)
    if media is None:
        raise Http404  # the platform never sent the file
    return media


@require_GET
def media_rendition(request: HttpRequest, case_id: int, report_id: int) -> HttpResponse:
    """The guard rendition (blurred, grey), or the clear one once this session revealed it."""
    require(permissions.can_view_case(request.user))
    report = report_for_case_or_404(request, case_id, report_id)
    media = _media_or_404(report)
    revealed = report.pk in set(request.session.get(REVEALED, []))
    try:
        data = case_selectors.media_rendition(media=media, revealed=revealed)
    except MediaUnavailable:
        raise Http404 from None
    return _private(HttpResponse(data, content_type=media_services.RENDITION_MIME))


@require_GET
def media_original(request: HttpRequest, case_id: int, report_id: int) -> HttpResponse:
    """
    The file as the platform sent it, as a download that no browser renders in place (a
    sandboxed attachment): it may carry metadata or be crafted to attack a viewer.
    """
    require(permissions.can_view_original_media(request.user))
    report = report_for_case_or_404(request, case_id, report_id)
    media = _media_or_404(report)
    try:
        data = media_services.media_original_open(
            report=report, media=media, actor=signed_in_user(request)
        )
    except MediaUnavailable:
        raise Http404 from None
    response = HttpResponse(data, content_type=media.mime)
    extension = media_services.EXTENSIONS.get(media.mime, "bin")
    response["Content-Disposition"] = f'attachment; filename="{media.sha256}.{extension}"'
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return _private(response)


urlpatterns = [
    path(
        "cases/<int:case_id>/media/<int:report_id>/rendition/",
        media_rendition,
        name="media_rendition",
    ),
    path(
        "cases/<int:case_id>/media/<int:report_id>/original/",
        media_original,
        name="media_original",
    ),
]
