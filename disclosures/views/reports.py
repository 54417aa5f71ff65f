"""
The transparency report page (a chosen quarter: per issuing country with a bar chart drawn
on the server as SVG, per authority, per offence category, preservation orders apart) and
its exports: each table as CSV, the whole report as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.permissions import require
from disclosures import permissions
from disclosures.models import LegalRequest
from disclosures.selectors.transparency import (
    INSTRUMENTS,
    PRESERVATION_INSTRUMENTS,
    TABLES,
    CountryRow,
    InvalidPeriod,
    TransparencyReport,
    transparency_report,
)

TEMPLATE = "disclosures/reports/transparency.html"


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=9998)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Quarter"),
        choices=[(q, f"Q{q}") for q in (1, 2, 3, 4)],
        coerce=int,
    )


class ExportForm(PeriodForm):
    table = forms.ChoiceField(choices=[(t, t) for t in TABLES], required=False)
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("json", "JSON")], required=False)


EXPORTS = (
    ("countries", "csv", gettext_lazy("CSV per country")),
    ("authorities", "csv", gettext_lazy("CSV per authority")),
    ("categories", "csv", gettext_lazy("CSV per offence category")),
    ("preservation", "csv", gettext_lazy("CSV of preservation orders")),
    ("", "json", gettext_lazy("JSON (everything)")),
)


def _export_url(*, year: int, quarter: int, table: str, fmt: str) -> str:
    query: dict[str, Any] = {"year": year, "quarter": quarter}
    if table and table != "countries":
        query["table"] = table
    if fmt != "csv":
        query["format"] = fmt
    return f"{reverse('disclosures:transparency_export')}?{urlencode(query)}"


def _current_period() -> dict[str, int]:
    now = timezone.now()
    return {"year": now.year, "quarter": (now.month - 1) // 3 + 1}


# --- The chart ------------------------------------------------------------------------------

SERIES = (
    ("received", gettext_lazy("Received")),
    ("fulfilled", gettext_lazy("Fulfilled")),
    ("partly_fulfilled", gettext_lazy("Partly fulfilled")),
    ("no_records", gettext_lazy("No records found")),
    ("rejected", gettext_lazy("Rejected")),
    ("withdrawn", gettext_lazy("Withdrawn")),
)
LABEL_WIDTH = 60
PLOT_WIDTH = 460
VALUE_WIDTH = 50
BAR_HEIGHT = 10
BAR_GAP = 2
GROUP_GAP = 16


@dataclass(frozen=True)
class Bar:
    css: str
    label: str
    value: int
    x: int
    y: int
    width: float
    height: int
    text_x: float
    text_y: int


@dataclass(frozen=True)
class BarGroup:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    groups: list[BarGroup]


def bar_chart(rows: list[CountryRow]) -> Chart:
    """Grouped horizontal bars, one group per country, scaled to the largest count."""
    largest = max([getattr(r, key) for r in rows for key, _label in SERIES] + [1])
    group_height = len(SERIES) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    groups = []
    y = GROUP_GAP // 2
    for row in rows:
        bars = []
        for i, (key, label) in enumerate(SERIES):
            value = getattr(row, key)
            top = y + i * (BAR_HEIGHT + BAR_GAP)
            width = round(value * PLOT_WIDTH / largest, 1)
            bars.append(
                Bar(
                    css=f"bar-{key.replace('_', '-')}",
                    label=str(label),
                    value=value,
                    x=LABEL_WIDTH,
                    y=top,
                    width=width,
                    height=BAR_HEIGHT,
                    text_x=LABEL_WIDTH + width + 4,
                    text_y=top + BAR_HEIGHT - 1,
                )
            )
        groups.append(BarGroup(label=row.country, label_y=y + group_height // 2 + 4, bars=bars))
        y += group_height + GROUP_GAP
    return Chart(width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, height=max(y, 40), groups=groups)


# --- Views ----------------------------------------------------------------------------------


@require_GET
@never_cache
def transparency(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_transparency(request.user))
    form = PeriodForm(request.GET or _current_period())
    context: dict[str, Any] = {"form": form, "report": None}
    if form.is_valid():
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        try:
            report: TransparencyReport = transparency_report(year=year, quarter=quarter)
        except InvalidPeriod as exc:
            form.add_error(None, str(exc))
        else:
            labels = dict(LegalRequest.Instrument.choices)
            context.update(
                report=report,
                chart=bar_chart(report.rows),
                series=[(f"bar-{k.replace('_', '-')}", label) for k, label in SERIES],
                instruments=[(labels[i], report.total.by_instrument[i]) for i in INSTRUMENTS],
                preservation_instruments=[(i, labels[i]) for i in PRESERVATION_INSTRUMENTS],
                export_url=_export_url(year=year, quarter=quarter, table="", fmt="csv"),
                exports=[
                    (label, _export_url(year=year, quarter=quarter, table=table, fmt=fmt))
                    for table, fmt, label in EXPORTS
                ],
            )
    return render(request, TEMPLATE, context)


@require_GET
@never_cache
def transparency_export(request: HttpRequest) -> HttpResponse:
    """
    One table of the report as CSV (`table=`, per country by default), or the whole report
    as JSON (`format=json`): the same figures as the page and the management command.
    """
    require(permissions.can_view_transparency(request.user))
    form = ExportForm(request.GET)
    if not form.is_valid():
        return redirect(f"{reverse('disclosures:transparency')}?{request.GET.urlencode()}")
    year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
    table = form.cleaned_data["table"] or "countries"
    report = transparency_report(year=year, quarter=quarter)
    if form.cleaned_data["format"] == "json":
        response: HttpResponse = JsonResponse(
            report.as_dict(), json_dumps_params={"indent": 2, "sort_keys": True}
        )
        filename = f"transparency-{year}-Q{quarter}.json"
    else:
        response = HttpResponse(report.as_csv(table), content_type="text/csv; charset=utf-8")
        suffix = "" if table == "countries" else f"-{table}"
        filename = f"transparency-{year}-Q{quarter}{suffix}.csv"
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("transparency/", transparency, name="transparency"),
    path("transparency/export.csv", transparency_export, name="transparency_export"),
]
