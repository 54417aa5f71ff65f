"""
The moderation transparency report (DSA Art. 15 and 24): figures from the records for one
period, in the rows of the EU's harmonised template (Implementing Regulation 2024/2835) that
apply to us, and their CSV/JSON renderings.

Pure computation: no writes, a fixed number of aggregate queries whatever the number of
records (grouping happens in the database; Python only walks the few distinct groups).

Anchoring: a notice counts on its receipt date, a decision on its decision date, an appeal
as submitted on its submission date and as decided on its decision date. Periods are whole
UTC days, the end day included. Medians are true medians (mean of the two middle values),
in hours, rounded to 2 decimals, blank (None) when there is nothing to take the median of.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from moderation.models import Appeal, Decision, Report
from moderation.models.decisions import Action, Ground

FORMAT = "tsdash-moderation-transparency/1"
SERVICE_NAME = "Trust & Safety dashboard platform"

#: Report sources that are notices (Art. 16 and other notifications); "automated" is not.
NOTICE_SOURCES = (Report.Source.USER, Report.Source.TRUSTED_FLAGGER, Report.Source.AUTHORITY)

#: Our actions mapped to the template's restriction columns (sheets 5 and 6). A decision
#: carrying several actions counts once in each of their columns. Columns with no action of
#: ours (interaction restricted, monetary, provision termination, other) cannot happen: blank.
RESTRICTION_COLUMNS: list[tuple[str, str | None]] = [
    ("Visibility restriction - Removal", Action.REMOVE_CONTENT),
    ("Visibility restriction - Disable", Action.GEO_RESTRICT),
    ("Visibility restriction - Demoted", Action.REMOVE_FROM_SEARCH),
    ("Visibility restriction - Age restricted", Action.AGE_RESTRICT),
    ("Visibility restriction - Interaction restricted", None),
    ("Visibility restriction - Labelled", Action.LABEL),
    ("Visibility restriction - Other", None),
    ("Monetary restriction - Suspension", None),
    ("Monetary restriction - Termination", None),
    ("Monetary restriction - Other", None),
    ("Provision of the service - Suspension", Action.RESTRICT_ACCOUNT),
    ("Provision of the service - Termination", None),
    ("Account restriction - Suspension", Action.SUSPEND_ACCOUNT),
    ("Account restriction - Termination", Action.TERMINATE_ACCOUNT),
]

# Exact template labels (trailing spaces included: consumers compare them byte for byte).
L_NOTICES = "Number of notices received "
L_NOTICES_TF = "Number of notices received from Trusted flaggers"
L_ITEMS = "Number of specific items of information included in the notices"
L_ITEMS_TF = (
    "Number of specific items of information included in the notices (Trusted Flagger notices)"
)
L_MEDIAN = "Median time to take action"
L_MEDIAN_TF = "Median time to take action (Trusted Flagger notices)"
L_LAW = "Number of actions taken on the basis of the law"
L_LAW_TF = "Number of actions taken on the basis of the law (Trusted Flagger notices)"
L_TERMS = "Number of actions taken on the basis of the terms and conditions of the service"
L_TERMS_TF = (
    "Number of actions taken on the basis of the terms and conditions of the service "
    "(Trusted Flagger notices)"
)
L_OWN = "Number of measures taken at the provider's own initiative "
L_OWN_AUTOMATED = "Number of measures taken after detection with solely automated means "


class PeriodError(ValueError):
    """A period that cannot be reported on (message says why, for the form and the command)."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        """The first instant after the period (exclusive bound: the last second is in)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def period_checked(start: date, end: date, *, today: date) -> Period:
    if end < start:
        raise PeriodError("The period ends before it starts.")
    if end >= today:
        raise PeriodError("The period must have ended: choose an end date before today (UTC).")
    return Period(start, end)


def half_year_of(day: date) -> Period:
    if day.month <= 6:
        return Period(date(day.year, 1, 1), date(day.year, 6, 30))
    return Period(date(day.year, 7, 1), date(day.year, 12, 31))


def _hours(value: timedelta) -> float:
    return value.total_seconds() / 3600


def _median_hours(durations: QuerySet[Any], n: int) -> float | None:
    """The true median of an ordered duration column: fetches at most the two middle rows."""
    if n == 0:
        return None
    middle = list(durations[(n - 1) // 2 : n // 2 + 1])
    return round(sum(_hours(d) for d in middle) / len(middle), 2)


def _in(period: Period, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start_at, f"{field}__lt": period.end_before})


def _measures(period: Period) -> QuerySet[Decision]:
    """Restrictions decided in the period (appeal outcomes are counted with the appeals)."""
    return (
        Decision.objects.filter(_in(period, "created_at"))
        .exclude(origin=Decision.Origin.APPEAL)
        .exclude(actions=[Action.NO_VIOLATION])
    )


NOTICE_CASE = (
    Q(case__has_user_notice=True) | Q(case__has_trusted_flagger=True) | Q(case__has_authority=True)
)


def _restriction_counts(groups: list[dict[str, Any]]) -> dict[str, int | None]:
    per_action: Counter[str] = Counter()
    for group in groups:  # one row per distinct action combination, not per decision
        for action in set(group["actions"] or []):
            per_action[action] += group["n"]
    return {label: (per_action[a] if a else None) for label, a in RESTRICTION_COLUMNS}


def compute(period: Period) -> dict[str, Any]:
    """Every figure for the period, as a JSON-ready dict (the stored `figures`)."""
    notices = Report.objects.filter(_in(period, "received_at"), source__in=NOTICE_SOURCES)
    by_group: list[dict[str, Any]] = [
        dict(g)
        for g in notices.values("category__dsa_category", "source")
        .annotate(n=Count("id"))
        .order_by()
    ]
    items = notices.aggregate(
        all=Count("subject", distinct=True),
        tf=Count("subject", distinct=True, filter=Q(source=Report.Source.TRUSTED_FLAGGER)),
    )
    by_source = {s: 0 for s in Report.Source.values}
    by_source.update(
        Report.objects.filter(_in(period, "received_at"))
        .values_list("source")
        .annotate(n=Count("id"))
        .order_by()
    )
    categories: dict[str, dict[str, int]] = {}
    for g in by_group:
        row = categories.setdefault(g["category__dsa_category"], Counter())
        row["notices"] += g["n"]
        if g["source"] == Report.Source.TRUSTED_FLAGGER:
            row["notices_tf"] += g["n"]

    # Every restriction of the period, grouped once; the rest is bookkeeping over the groups.
    measure_groups: list[dict[str, Any]] = [
        dict(g)
        for g in _measures(period)
        .values(
            "ground",
            "origin",
            "dsa_category",
            "actions",
            "case__has_user_notice",
            "case__has_trusted_flagger",
            "case__has_authority",
        )
        .annotate(n=Count("id"))
        .order_by()
    ]
    actions = Counter[str]()
    own: dict[str, list[dict[str, Any]]] = {Ground.ILLEGAL: [], Ground.TERMS: []}
    own_counts: Counter[str] = Counter()
    automated = Counter[str]()
    for g in measure_groups:
        on_notice = (
            g["case__has_user_notice"] or g["case__has_trusted_flagger"] or g["case__has_authority"]
        )
        ground = Ground.ILLEGAL if g["ground"] == Ground.ILLEGAL else Ground.TERMS
        solely_automated = g["origin"] == Decision.Origin.AUTOMATED
        automated["solely" if solely_automated else "not"] += g["n"]
        if on_notice:
            key = "law" if ground == Ground.ILLEGAL else "terms"
            actions[key] += g["n"]
            cat = categories.setdefault(g["dsa_category"] or "NOT_SPECIFIED_NOTICE", Counter())
            cat[key] += g["n"]
            if g["case__has_trusted_flagger"]:
                actions[f"{key}_tf"] += g["n"]
                cat[f"{key}_tf"] += g["n"]
            if solely_automated:
                automated["notices_solely"] += g["n"]
            else:
                automated["notices_not"] += g["n"]
        else:
            own[ground].append(g)
            own_counts[ground] += g["n"]
            if solely_automated:
                own_counts[f"{ground}_automated"] += g["n"]
                automated["own_solely"] += g["n"]

    # Time to action: from the case's first notice to the decision, per notice decision.
    first_notice = (
        # A group case's notices are those of the message cases rolled up into it.
        Report.objects.filter(
            Q(case=OuterRef("case")) | Q(case__rollup_parent=OuterRef("case")),
            source__in=NOTICE_SOURCES,
        )
        .order_by("received_at")
        .values("received_at")[:1]
    )
    durations = (
        _measures(period)
        .filter(NOTICE_CASE)
        .annotate(first=Subquery(first_notice, output_field=DateTimeField()))
        .annotate(
            took=ExpressionWrapper(F("created_at") - F("first"), output_field=DurationField())
        )
        .order_by("took")
        .values_list("took", flat=True)
    )
    n_notice = actions["law"] + actions["terms"]
    n_notice_tf = actions["law_tf"] + actions["terms_tf"]
    median_action = _median_hours(durations, n_notice)
    median_action_tf = _median_hours(durations.filter(case__has_trusted_flagger=True), n_notice_tf)

    submitted = Appeal.objects.filter(_in(period, "submitted_at")).count()
    decided_qs = Appeal.objects.filter(_in(period, "decided_at")).exclude(
        status=Appeal.Status.PENDING
    )
    outcomes = Counter(dict(decided_qs.values_list("status").annotate(n=Count("id")).order_by()))
    appeal_durations = (
        decided_qs.annotate(
            took=ExpressionWrapper(
                F("decided_at") - F("submitted_at"), output_field=DurationField()
            )
        )
        .order_by("took")
        .values_list("took", flat=True)
    )
    n_decided = sum(outcomes.values())

    return {
        "format": FORMAT,
        "service": SERVICE_NAME,
        "period": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "notices": {
            "total": sum(g["n"] for g in by_group),
            "trusted_flagger": by_source[Report.Source.TRUSTED_FLAGGER],
            "by_source": by_source,
            "items": items["all"],
            "items_trusted_flagger": items["tf"],
            "actions_law": actions["law"],
            "actions_terms": actions["terms"],
            "actions_law_trusted_flagger": actions["law_tf"],
            "actions_terms_trusted_flagger": actions["terms_tf"],
            "median_hours_to_action": median_action,
            "median_hours_to_action_trusted_flagger": median_action_tf,
            "by_category": {
                code: {
                    k: row[k]
                    for k in ("notices", "notices_tf", "law", "law_tf", "terms", "terms_tf")
                }
                for code, row in sorted(categories.items())
            },
        },
        "own_initiative": {
            ground: {
                "measures": own_counts[ground],
                "solely_automated": own_counts[f"{ground}_automated"],
                "restrictions": _restriction_counts(own[ground]),
            }
            for ground in (Ground.ILLEGAL, Ground.TERMS)
        },
        "automated_means": {
            "measures_solely_automated": automated["solely"],
            "measures_not_automated": automated["not"],
            "own_initiative_solely_automated": automated["own_solely"],
            "notices_solely_automated": automated["notices_solely"],
            "notices_not_automated": automated["notices_not"],
            # Accuracy needs human-reviewed samples per classifier, kept by the signals app,
            # which moderation may not read: left blank (see docs/moderation-transparency.md).
            "accuracy": None,
            "precision": None,
            "recall": None,
        },
        "appeals": {
            "submitted": submitted,
            "decided": n_decided,
            "upheld": outcomes[Appeal.Status.UPHELD],
            "partially_reversed": outcomes[Appeal.Status.MODIFIED],
            "reversed": outcomes[Appeal.Status.REVERSED],
            "median_hours_to_decide": _median_hours(appeal_durations, n_decided),
        },
    }


# --- Renderings ---------------------------------------------------------------------------

SHEETS = (
    "4_notices",
    "5_own_initiative_illegal",
    "6_own_initiative_TC",
    "7_appeals_and_recidivism",
    "8_automated_means",
)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def sheet_rows(figures: dict[str, Any], sheet: str) -> list[list[str]]:
    """One sheet as rows (header first), in the template's labels and order."""
    if sheet == "4_notices":
        n = figures["notices"]
        header = ["Category", "Scope", L_NOTICES, L_NOTICES_TF, L_ITEMS, L_ITEMS_TF]
        header += [L_MEDIAN, L_MEDIAN_TF, L_LAW, L_LAW_TF, L_TERMS, L_TERMS_TF]
        rows = [header]
        total = [n["total"], n["trusted_flagger"], n["items"], n["items_trusted_flagger"]]
        total += [n["median_hours_to_action"], n["median_hours_to_action_trusted_flagger"]]
        total += [n["actions_law"], n["actions_law_trusted_flagger"]]
        total += [n["actions_terms"], n["actions_terms_trusted_flagger"]]
        rows.append(["TOTAL", "Total number", *map(_cell, total)])
        for code, c in n["by_category"].items():
            # Items and medians are reported on the total row only (pooled, never split).
            values = [c["notices"], c["notices_tf"], None, None, None, None]
            values += [c["law"], c["law_tf"], c["terms"], c["terms_tf"]]
            rows.append([code, "Total number", *map(_cell, values)])
        return rows
    if sheet in ("5_own_initiative_illegal", "6_own_initiative_TC"):
        o = figures["own_initiative"][Ground.ILLEGAL if sheet.startswith("5") else Ground.TERMS]
        header = ["Scope", L_OWN, L_OWN_AUTOMATED, *(label for label, _ in RESTRICTION_COLUMNS)]
        values = [o["measures"], o["solely_automated"]]
        values += [o["restrictions"][label] for label, _ in RESTRICTION_COLUMNS]
        return [header, ["Total number", *map(_cell, values)]]
    if sheet == "7_appeals_and_recidivism":
        a = figures["appeals"]
        ind = "Number of complaints submitted to the internal-complaints mechanism"
        section = "Internal complaints mechanism"
        scoped = [
            ("Total number", a["submitted"], ""),
            ("Decisions upheld", a["upheld"], ""),
            ("Decisions partially reversed", a["partially_reversed"], ""),
            ("Decisions reversed", a["reversed"], ""),
            ("Median time", a["median_hours_to_decide"], "Hours; submission to decision"),
        ]
        rows = [["Section", "Indicator", "Scope", "Value", "Contextual Information"]]
        rows += [[section, ind, scope, _cell(v), note] for scope, v, note in scoped]
        return rows
    if sheet == "8_automated_means":
        m = figures["automated_means"]
        note = "Not available: needs human-reviewed samples per classifier"
        long = [
            ("Number of measures solely taken by automated means ", "Total number",
             m["measures_solely_automated"], ""),
            ("Number of measures solely taken by automated means ", "Own-initiative ",
             m["own_initiative_solely_automated"], ""),
            ("Number of measures not taken by automated means", "Total number",
             m["measures_not_automated"], ""),
            ("Number of notices solely processed by automated means ", "NAM Total",
             m["notices_solely_automated"], ""),
            ("Number of notices not processed by automated means", "NAM Total",
             m["notices_not_automated"], ""),
            ("Accuracy of the automated means - Accuracy", "Total number", m["accuracy"], note),
            ("Accuracy of the automated means - Precision", "Total number", m["precision"], note),
            ("Accuracy of the automated means - Recall", "Total number", m["recall"], note),
        ]  # fmt: skip
        rows = [["Indicator", "Scope", "Value", "Contextual Information"]]
        rows += [[ind, scope, _cell(v), c] for ind, scope, v, c in long]
        return rows
    raise KeyError(sheet)


def render_csv(figures: dict[str, Any], sheet: str) -> str:
    """RFC 4180 CSV (CRLF), UTF-8 without BOM; every row starts with service and period."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = sheet_rows(figures, sheet)
    writer.writerow(["Service", "Reporting period", *rows[0]])
    for row in rows[1:]:
        writer.writerow([figures["service"], figures["period"], *row])
    return out.getvalue()


def render_json(figures: dict[str, Any], **meta: Any) -> str:
    return json.dumps({**figures, **meta}, indent=2, sort_keys=True)
