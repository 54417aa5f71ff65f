"""
Team metrics (seniors and administrators): the figures of moderation.selectors.metrics as
server-drawn SVG charts, each with its data table and a CSV download.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from moderation import charts, permissions
from moderation.selectors import metrics as selectors

TEMPLATE = "moderation/metrics/page.html"
Number = int | float | None


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        choices=[(n, str(n)) for n in selectors.PERIODS],
        coerce=int,
        required=False,
        empty_value=selectors.DEFAULT_PERIOD,  # type: ignore[arg-type]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Labelled here, not at import, so each request reads them in its own language.
        self.fields["days"].choices = [  # type: ignore[attr-defined]
            (n, _("Last %(n)d days") % {"n": n}) for n in selectors.PERIODS
        ]


@dataclass(frozen=True)
class ChartTable:
    """One chart: what it draws, and the same figures as a table and a CSV."""

    name: str  # its slug in the CSV's URL
    title: str
    description: str
    label_header: str
    columns: tuple[str, ...]
    rows: list[tuple[str, tuple[Number, ...]]]
    plotted: tuple[int, ...]  # the columns drawn, by index
    kind: str = "bar"  # "bar" or "line"
    note: str = ""

    def svg(self) -> SafeString:
        draw = charts.line_chart if self.kind == "line" else charts.bar_chart
        return draw(
            chart_id=f"chart-{self.name}",
            title=self.title,
            desc=self.description,
            labels=[label for label, _values in self.rows],
            series=[
                charts.Series(self.columns[i], [values[i] for _label, values in self.rows])
                for i in self.plotted
            ],
        )


def _duration_table(
    name: str, title: str, header: str, rows: Sequence[selectors.Duration], *, what: str
) -> ChartTable:
    return ChartTable(
        name=name,
        title=title,
        description=_(
            "Median and 90th percentile, in hours, from a case's opening to its %(what)s, "
            "for %(n)d groups."
        )
        % {"what": what, "n": len(rows)},
        label_header=header,
        columns=(_("Cases"), _("Median (hours)"), _("90th percentile (hours)")),
        rows=[(row.label, (row.cases, row.median_hours, row.p90_hours)) for row in rows],
        plotted=(1, 2),
    )


def _sources(rows: Sequence[selectors.Duration]) -> list[selectors.Duration]:
    return [
        selectors.Duration(
            label=selectors.source_label(row.label),
            cases=row.cases,
            median_hours=row.median_hours,
            p90_hours=row.p90_hours,
        )
        for row in rows
    ]


def chart_tables(found: selectors.TeamMetrics) -> list[ChartTable]:
    days = [(day.day.isoformat(), day) for day in found.queue]
    appeals = found.appeals

    def share(n: int) -> float | None:
        return round(100 * n / appeals.decided, 1) if appeals.decided else None

    first_action, decision = _("first claim or decision"), _("first decision")
    return [
        ChartTable(
            name="queue-size",
            title=_("Active cases at the end of each day"),
            description=_("Cases open, claimed or escalated at the end of each of %(n)d UTC days.")
            % {"n": len(days)},
            label_header=_("Day (UTC)"),
            columns=(_("Active cases"),),
            rows=[(label, (day.active,)) for label, day in days],
            plotted=(0,),
            kind="line",
        ),
        ChartTable(
            name="queue-age",
            title=_("Age of the oldest active case"),
            description=_("Hours since the oldest active case was opened, at each day's end."),
            label_header=_("Day (UTC)"),
            columns=(_("Oldest active case (hours)"),),
            rows=[(label, (day.oldest_hours,)) for label, day in days],
            plotted=(0,),
            kind="line",
        ),
        _duration_table(
            "first-action-category",
            _("Time to first action, per category"),
            _("Category"),
            found.first_action["category"],
            what=first_action,
        ),
        _duration_table(
            "first-action-source",
            _("Time to first action, per source"),
            _("Source"),
            _sources(found.first_action["source"]),
            what=first_action,
        ),
        _duration_table(
            "decision-category",
            _("Time to decision, per category"),
            _("Category"),
            found.decision["category"],
            what=decision,
        ),
        _duration_table(
            "decision-source",
            _("Time to decision, per source"),
            _("Source"),
            _sources(found.decision["source"]),
            what=decision,
        ),
        ChartTable(
            name="breaches",
            title=_("Deadline breaches, per category"),
            description=_(
                "Cases first decided in the period after their deadline, and cases still "
                "active past their deadline now."
            ),
            label_header=_("Category"),
            columns=(_("Decided"), _("Decided late"), _("Active past deadline")),
            rows=[
                (row.category, (row.decided, row.decided_late, row.active_overdue))
                for row in found.breaches
            ],
            plotted=(1, 2),
        ),
        ChartTable(
            name="decisions-moderator",
            title=_("Decisions per moderator"),
            description=_(
                "Decisions taken by people in the period (by hand, in bulk or on appeal); "
                "automatic actions are left out."
            ),
            label_header=_("Moderator"),
            columns=(_("Decisions"),),
            rows=[(row.username, (row.decisions,)) for row in found.moderators],
            plotted=(0,),
        ),
        ChartTable(
            name="appeals",
            title=_("Appeal outcomes"),
            description=_("Appeals decided in the period, by outcome."),
            label_header=_("Outcome"),
            columns=(_("Appeals"), _("Share (%)")),
            rows=[
                (_("Decision upheld"), (appeals.upheld, share(appeals.upheld))),
                (_("Decision reversed"), (appeals.reversed, share(appeals.reversed))),
                (_("Decision modified"), (appeals.modified, share(appeals.modified))),
                (_("Reversed or modified"), (appeals.changed, appeals.reversal_rate)),
            ]
            if appeals.decided
            else [],
            plotted=(0,),
            note=(
                _("Reversal rate: %(rate)s %% of %(n)d decided appeals.")
                % {"rate": appeals.reversal_rate, "n": appeals.decided}
                if appeals.decided
                else ""
            ),
        ),
        ChartTable(
            name="exposure",
            title=_("Exposure to graphic material, per moderator"),
            description=_(
                "Totals over the period: reveals of guarded media and decisions in graphic "
                "categories. Counts only, never the content."
            ),
            label_header=_("Moderator"),
            columns=(_("Reveals"), _("Graphic decisions"), _("Total")),
            rows=[
                (row.username, (row.reveals, row.graphic_decisions, row.total))
                for row in found.exposure
            ],
            plotted=(0, 1),
        ),
    ]


CHART_NAMES = (
    "queue-size",
    "queue-age",
    "first-action-category",
    "first-action-source",
    "decision-category",
    "decision-source",
    "breaches",
    "decisions-moderator",
    "appeals",
    "exposure",
)


def _cell(value: str | Number) -> str | Number:
    # A spreadsheet runs a cell that starts like a formula: a label never may.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def render_csv(table: ChartTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([table.label_header, *table.columns])
    for label, values in table.rows:
        writer.writerow([_cell(label), *(_cell(v) for v in values)])
    return out.getvalue()


def _period(data: dict[str, str]) -> tuple[selectors.Period, bool]:
    """The period asked for, and whether the request named a bad one (then the default)."""
    form = PeriodForm(data)
    if form.is_valid():
        return selectors.period_of(form.cleaned_data["days"]), False
    return selectors.period_of(selectors.DEFAULT_PERIOD), True


@require_GET
@vary_on_headers("HX-Request")
def metrics_page(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_team_metrics(request.user))
    period, bad_period = _period(request.GET)
    found = selectors.team_metrics(period=period)
    template = TEMPLATE
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "metrics-charts":
        template += "#metrics-charts"
    return render(
        request,
        template,
        {
            "form": PeriodForm(initial={"days": period.days}),
            "period": period,
            "bad_period": bad_period,
            "tables": chart_tables(found),
        },
    )


@require_GET
def metrics_csv(request: HttpRequest, chart: str) -> HttpResponse:
    require(permissions.can_view_team_metrics(request.user))
    if chart not in CHART_NAMES:
        raise Http404
    period, bad_period = _period(request.GET)
    if bad_period:
        return HttpResponseBadRequest(
            _("Unknown period: choose %(choices)s days.")
            % {"choices": ", ".join(map(str, selectors.PERIODS))},
            content_type="text/plain; charset=utf-8",
        )
    table = next(t for t in chart_tables(selectors.team_metrics(period=period)) if t.name == chart)
    response = HttpResponse(render_csv(table), content_type="text/csv; charset=utf-8")
    name = f"team-metrics-{chart}-{period.first_day}-{period.days}d.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("metrics/", metrics_page, name="metrics"),
    path("metrics/<slug:chart>.csv", metrics_csv, name="metrics_csv"),
]
