"""
Reporters, for senior moderators: a reporter's record, muting and unmuting, the muted list.

A reporter's page is reached through one of their reports (from the case page), so URLs
never carry the reporter's own id and "missing" and "no reporter" look the same (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.parsing import parse_id
from moderation import permissions
from moderation.exceptions import ModerationError
from moderation.models import Report
from moderation.selectors import reporters as selectors
from moderation.services import reporters as services
from moderation.services.reporters import MUTE_REASON_MAX

DETAIL_TEMPLATE = "moderation/reporters/detail.html"


def _record_or_404(report_id: int) -> selectors.ReporterRecord:
    try:
        report = selectors.report_with_reporter(report_id=report_id)
    except Report.DoesNotExist as exc:
        raise Http404 from exc
    return selectors.reporter_record(report=report)


def _context(
    record: selectors.ReporterRecord, *, error: str = "", reason: str = ""
) -> dict[str, Any]:
    return {
        "record": record,
        "reporter": record.reporter,
        "error": error,
        "reason": reason,
        "reason_max": MUTE_REASON_MAX,
    }


@require_GET
def reporter_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    require(permissions.can_view_reporters(request.user))
    return render(request, DETAIL_TEMPLATE, _context(_record_or_404(report_id)))


def _change(request: HttpRequest, report_id: int, *, mute: bool) -> HttpResponse:
    require(permissions.can_mute_reporters(request.user))
    record = _record_or_404(report_id)
    reason = request.POST.get("reason", "")
    change = services.reporter_mute if mute else services.reporter_unmute
    try:
        change(reporter_id=record.reporter.pk, actor=signed_in_user(request), reason=reason)
    except ModerationError as exc:
        # Shown in the form's region with status 200, so htmx swaps it (STYLE: validation).
        record.reporter.refresh_from_db()
        context = _context(record, error=str(exc.message), reason=reason)
        if getattr(request, "htmx", False):
            return render(request, f"{DETAIL_TEMPLATE}#mute-form", context)
        return render(request, DETAIL_TEMPLATE, context)
    messages.success(request, _("Reporter muted.") if mute else _("Reporter unmuted."))
    if getattr(request, "htmx", False):
        fresh = _context(_record_or_404(report_id))
        response = render(request, f"{DETAIL_TEMPLATE}#mute-form", fresh)
        response["HX-Trigger"] = "reporter-changed"
        return response
    return redirect("moderation:reporter", report_id=report_id)


@require_POST
def reporter_mute(request: HttpRequest, report_id: int) -> HttpResponse:
    return _change(request, report_id, mute=True)


@require_POST
def reporter_unmute(request: HttpRequest, report_id: int) -> HttpResponse:
    return _change(request, report_id, mute=False)


@require_GET
@vary_on_headers("HX-Request")
def reporters_muted(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_reporters(request.user))
    after = parse_id(request.GET.get("after", ""))
    rows = selectors.muted_reporters(after=after)
    context = {
        "reporters": rows,
        "next_after": rows[-1].pk if len(rows) == selectors.MUTED_PAGE_SIZE else None,
    }
    template = "moderation/reporters/muted.html"
    if getattr(request, "htmx", False):
        template += "#muted-table"
    return render(request, template, context)


urlpatterns = [
    path("reporters/muted/", reporters_muted, name="reporters_muted"),
    path("reports/<int:report_id>/reporter/", reporter_detail, name="reporter"),
    path("reports/<int:report_id>/reporter/mute/", reporter_mute, name="reporter_mute"),
    path("reports/<int:report_id>/reporter/unmute/", reporter_unmute, name="reporter_unmute"),
]
