"""
The moderation transparency report: staff pages (generate, review, publish) and the public
pages (published versions only, no login, aggregate figures only: no personal data).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import require
from accounts.request_user import signed_in_user
from moderation import transparency
from moderation.exceptions import ModerationError
from moderation.models import TransparencyReport
from moderation.services import transparency as services

LIST_TEMPLATE = "moderation/transparency/list.html"
DETAIL_TEMPLATE = "moderation/transparency/detail.html"
PUBLIC_LIST_TEMPLATE = "moderation/transparency/public_list.html"
PUBLIC_DETAIL_TEMPLATE = "moderation/transparency/public_detail.html"


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    correction_note = forms.CharField(
        label=gettext_lazy("What a new version corrects (only after publication)"),
        required=False,
        max_length=services.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _last_finished_half_year(today: date) -> transparency.Period:
    return transparency.half_year_of(transparency.half_year_of(today).start - timedelta(days=1))


def _report_or_404(version_id: int, *, published_only: bool) -> TransparencyReport:
    qs = TransparencyReport.objects.all()
    if published_only:
        qs = qs.filter(published_at__isnull=False)
    try:
        return qs.get(pk=version_id)
    except TransparencyReport.DoesNotExist as exc:
        raise Http404 from exc


def _tables(report: TransparencyReport) -> list[dict[str, Any]]:
    return [
        {"sheet": sheet, "rows": transparency.sheet_rows(report.figures, sheet)}
        for sheet in transparency.SHEETS
    ]


def _csv_response(report: TransparencyReport, sheet: str) -> HttpResponse:
    if sheet not in transparency.SHEETS:
        raise Http404
    period = f"{report.period_start}-{report.period_end}"
    name = f"moderation-transparency-{period}-v{report.version}-{sheet}.csv"
    response = HttpResponse(
        transparency.render_csv(report.figures, sheet), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _json_response(report: TransparencyReport) -> HttpResponse:
    body = transparency.render_json(
        report.figures,
        version=report.version,
        published_at=report.published_at.isoformat() if report.published_at else None,
        correction_note=report.correction_note,
    )
    return HttpResponse(body, content_type="application/json")


@require_http_methods(["GET", "POST"])
def transparency_list(request: HttpRequest) -> HttpResponse:
    require(services.can_publish(request.user))
    today = timezone.now().date()
    default = _last_finished_half_year(today)
    form = PeriodForm(request.POST or None, initial={"start": default.start, "end": default.end})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_generate(
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                actor=signed_in_user(request),
                correction_note=form.cleaned_data["correction_note"],
            )
        except ModerationError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Draft generated from the records."))
            return redirect("moderation:transparency_report", version_id=report.pk)
    reports = TransparencyReport.objects.select_related("generated_by", "published_by")
    return render(request, LIST_TEMPLATE, {"form": form, "error": error, "reports": reports})


@require_GET
def transparency_report(request: HttpRequest, version_id: int) -> HttpResponse:
    require(services.can_publish(request.user))
    report = _report_or_404(version_id, published_only=False)
    context = {"report": report, "tables": _tables(report), "error": ""}
    return render(request, DETAIL_TEMPLATE, context)


@require_POST
def transparency_publish(request: HttpRequest, version_id: int) -> HttpResponse:
    require(services.can_publish(request.user))
    report = _report_or_404(version_id, published_only=False)
    error = ""
    if request.POST.get("confirm") != "yes":
        error = _("Tick the box to confirm: a published version is public and never changes.")
    else:
        try:
            services.report_publish(report_id=report.pk, actor=signed_in_user(request))
        except ModerationError as exc:
            error = str(exc.message)
    if error:
        report.refresh_from_db()
        context = {"report": report, "tables": _tables(report), "error": error}
        return render(request, DETAIL_TEMPLATE, context)
    messages.success(request, _("Published: the version is now on the public page."))
    return redirect("moderation:transparency_report", version_id=report.pk)


@require_GET
def transparency_csv(request: HttpRequest, version_id: int, sheet: str) -> HttpResponse:
    require(services.can_publish(request.user))
    return _csv_response(_report_or_404(version_id, published_only=False), sheet)


@require_GET
def transparency_json(request: HttpRequest, version_id: int) -> HttpResponse:
    require(services.can_publish(request.user))
    return _json_response(_report_or_404(version_id, published_only=False))


# Public: published versions only. Figures are aggregates; no user, moderator or reporter.
@login_not_required
@require_GET
def public_transparency(request: HttpRequest) -> HttpResponse:
    reports = TransparencyReport.objects.filter(published_at__isnull=False)
    return render(request, PUBLIC_LIST_TEMPLATE, {"reports": reports})


@login_not_required
@require_GET
def public_transparency_report(request: HttpRequest, version_id: int) -> HttpResponse:
    report = _report_or_404(version_id, published_only=True)
    return render(request, PUBLIC_DETAIL_TEMPLATE, {"report": report, "tables": _tables(report)})


@login_not_required
@require_GET
def public_transparency_csv(request: HttpRequest, version_id: int, sheet: str) -> HttpResponse:
    return _csv_response(_report_or_404(version_id, published_only=True), sheet)


@login_not_required
@require_GET
def public_transparency_json(request: HttpRequest, version_id: int) -> HttpResponse:
    return _json_response(_report_or_404(version_id, published_only=True))


urlpatterns = [
    path("transparency/", transparency_list, name="transparency"),
    path("transparency/<int:version_id>/", transparency_report, name="transparency_report"),
    path(
        "transparency/<int:version_id>/publish/",
        transparency_publish,
        name="transparency_publish",
    ),
    path(
        "transparency/<int:version_id>/<str:sheet>.csv",
        transparency_csv,
        name="transparency_csv",
    ),
    path("transparency/<int:version_id>/figures.json", transparency_json, name="transparency_json"),
]

#: The public address, /transparency/moderation/, mounted by config/urls.py under the
#: "transparency" namespace (the page the issue and DSA Art. 15 readers look for).
public_urlpatterns = [
    path("", public_transparency, name="moderation"),
    path("<int:version_id>/", public_transparency_report, name="moderation_report"),
    path("<int:version_id>/<str:sheet>.csv", public_transparency_csv, name="moderation_csv"),
    path("<int:version_id>/figures.json", public_transparency_json, name="moderation_json"),
]
