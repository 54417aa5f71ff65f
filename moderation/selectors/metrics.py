"""
Team metrics for seniors and administrators: the queue over time, how fast cases are handled,
deadline breaches, decisions and exposure per moderator, appeal outcomes.

Each figure comes from one or a few aggregate queries over a period of whole UTC days; none
reads row by row. The definitions are in docs/team-metrics.md, and the tests recompute every
one of them in plain Python.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import CharField, Count, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from audit.models import AuditEvent
from moderation.models import Case, Decision, Report
from moderation.selectors.metrics_people import (
    AppealOutcomes,
    ExposureTotal,
    ModeratorCount,
    appeal_outcomes,
    decisions_by_moderator,
    exposure_totals,
)

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
CLAIMED = "case.claimed"
# A case's sources, from the flags intake keeps on it (a case may have several).
SOURCE_FLAGS = (
    (Report.Source.USER, "has_user_notice"),
    (Report.Source.TRUSTED_FLAGGER, "has_trusted_flagger"),
    (Report.Source.AUTHORITY, "has_authority"),
    (Report.Source.AUTOMATED, "has_automated"),
)


@dataclass(frozen=True)
class Period:
    """The last `days` UTC days, today included; figures run up to `now`."""

    days: int
    now: datetime

    @property
    def first_day(self) -> date:
        return self.now.astimezone(UTC).date() - timedelta(days=self.days - 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.days)]

    def point(self, day: date) -> datetime:
        """The end of a day (the next midnight), or now for today."""
        return min(datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC), self.now)


def period_of(days: int, *, now: datetime | None = None) -> Period:
    if days not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    return Period(days=days, now=now or timezone.now())


# --- the queue over time --------------------------------------------------------------


@dataclass(frozen=True)
class QueueDay:
    day: date
    active: int
    oldest_hours: float | None  # age of the oldest active case at the day's end; None: empty


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def queue_over_time(*, period: Period) -> list[QueueDay]:
    """
    Cases active at the end of each day (created before it, not resolved by then) and the age
    of the oldest. Resolved cases never reopen (Case.TRANSITIONS), so the two timestamps
    tell a case's whole life and no history table is needed.
    """
    if connection.vendor == "postgresql":
        return _queue_over_time_sql(period)
    return _queue_over_time_python(period)


def _queue_over_time_sql(period: Period) -> list[QueueDay]:
    # One query: a row per day from generate_series, the cases alive during the period
    # (a CTE, so cases resolved before it are dropped once, not once per day) joined by range.
    table = connection.ops.quote_name(Case._meta.db_table)
    sql = f"""
        WITH live AS (
            SELECT id, created_at, resolved_at FROM {table}
            WHERE created_at < %(now)s AND (resolved_at IS NULL OR resolved_at >= %(first)s)
        )
        SELECT d.day::date, COUNT(c.id), MIN(c.created_at),
               LEAST(d.day + interval '1 day', %(now)s) AS point
        FROM generate_series(%(first)s::timestamptz, %(last)s::timestamptz, interval '1 day')
             AS d(day)
        LEFT JOIN live c
          ON c.created_at < LEAST(d.day + interval '1 day', %(now)s)
         AND (c.resolved_at IS NULL OR c.resolved_at >= LEAST(d.day + interval '1 day', %(now)s))
        GROUP BY d.day ORDER BY d.day
    """  # noqa: S608 - the table name is the model's own, every value a parameter
    last = datetime.combine(period.day_list()[-1], time.min, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"first": period.start, "last": last, "now": period.now})
        rows = cursor.fetchall()
    return [
        QueueDay(day=day, active=n, oldest_hours=_hours(point - oldest) if oldest else None)
        for day, n, oldest, point in rows
    ]


def _queue_over_time_python(period: Period) -> list[QueueDay]:
    # SQLite has no generate_series: one query for every case active at some point of the
    # period (at most the period's cases plus the backlog), then the days (at most 90) here.
    lives = list(
        Case.objects.filter(created_at__lt=period.now)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=period.start))
        .values_list("created_at", "resolved_at")
    )
    days = []
    for day in period.day_list():
        point = period.point(day)
        active = [
            created
            for created, resolved in lives
            if created < point and (resolved is None or resolved >= point)
        ]
        oldest = min(active, default=None)
        days.append(
            QueueDay(
                day=day,
                active=len(active),
                oldest_hours=_hours(point - oldest) if oldest else None,
            )
        )
    return days


# --- how fast cases are handled ---------------------------------------------------------


@dataclass(frozen=True)
class CaseTiming:
    category: str
    sources: tuple[str, ...]
    created_at: datetime
    deadline_at: datetime
    first_action_at: datetime | None  # first claim or first decision, whichever came first
    first_decision_at: datetime | None


def case_timings(*, period: Period) -> list[CaseTiming]:
    """
    Every case that was active during the period, with its first claim and first decision
    (one query; the two firsts are subqueries on the audit trail's and decisions' indexes).
    """
    first_claim = (
        AuditEvent.objects.filter(
            target_type=Case._meta.label_lower,
            target_id=Cast(OuterRef("pk"), CharField()),
            action=CLAIMED,
        )
        .order_by("id")
        .values("occurred_at")[:1]
    )
    first_decision = (
        Decision.objects.filter(case=OuterRef("pk")).order_by("id").values("created_at")[:1]
    )
    rows = (
        Case.objects.filter(created_at__lt=period.now)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=period.start))
        .annotate(first_claim=Subquery(first_claim), first_decision=Subquery(first_decision))
        .values_list(
            "category__name",
            *(flag for _, flag in SOURCE_FLAGS),
            "created_at",
            "deadline_at",
            "first_claim",
            "first_decision",
        )
        .order_by()
    )
    timings = []
    for row in rows:
        name, flags, (created, deadline, claim, decided) = row[0], row[1:5], row[5:]
        firsts = [t for t in (claim, decided) if t is not None]
        timings.append(
            CaseTiming(
                category=name,
                sources=tuple(
                    str(src) for (src, _), on in zip(SOURCE_FLAGS, flags, strict=True) if on
                ),
                created_at=created,
                deadline_at=deadline,
                first_action_at=min(firsts) if firsts else None,
                first_decision_at=decided,
            )
        )
    return timings


def median(values: Sequence[float]) -> float:
    return round(float(statistics.median(values)), 1)


def p90(values: Sequence[float]) -> float:
    """The 90th percentile by nearest rank: the smallest value at or above 90 % of them."""
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)


@dataclass(frozen=True)
class Duration:
    label: str
    cases: int
    median_hours: float
    p90_hours: float


def _in(moment: datetime | None, period: Period) -> bool:
    return moment is not None and period.start <= moment < period.now


def _durations(groups: dict[str, list[float]]) -> list[Duration]:
    return [
        Duration(label=label, cases=len(hours), median_hours=median(hours), p90_hours=p90(hours))
        for label, hours in sorted(groups.items())
    ]


def time_to(
    timings: Iterable[CaseTiming], *, period: Period, event: str
) -> dict[str, list[Duration]]:
    """
    Hours from a case's opening to its first action (`event="action"`) or first decision
    (`event="decision"`), over the cases whose event fell in the period; per category and
    per source (a case counts under each of its sources).
    """
    by_category: dict[str, list[float]] = defaultdict(list)
    by_source: dict[str, list[float]] = defaultdict(list)
    for timing in timings:
        moment = timing.first_action_at if event == "action" else timing.first_decision_at
        if moment is None or not _in(moment, period):
            continue
        hours = (moment - timing.created_at).total_seconds() / 3600
        by_category[timing.category].append(hours)
        for source in timing.sources:
            by_source[source].append(hours)
    return {"category": _durations(by_category), "source": _durations(by_source)}


@dataclass(frozen=True)
class Breaches:
    category: str
    decided: int
    decided_late: int
    active_overdue: int


def deadline_breaches(timings: Iterable[CaseTiming], *, period: Period) -> list[Breaches]:
    """
    Per category: cases first decided in the period, how many of those after their deadline,
    and how many cases are still active past their deadline at the period's end (one grouped
    query on the status-and-deadline index).
    """
    decided: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    for timing in timings:
        if _in(timing.first_decision_at, period):
            decided[timing.category] += 1
            late[timing.category] += timing.first_decision_at > timing.deadline_at  # type: ignore[operator]
    overdue = dict(
        Case.objects.filter(status__in=Case.ACTIVE, deadline_at__lt=period.now)
        .values_list("category__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    names = sorted(set(decided) | set(overdue))
    return [
        Breaches(
            category=name,
            decided=decided.get(name, 0),
            decided_late=late.get(name, 0),
            active_overdue=overdue.get(name, 0),
        )
        for name in names
    ]


# --- everything at once -----------------------------------------------------------------


@dataclass(frozen=True)
class TeamMetrics:
    period: Period
    queue: list[QueueDay]
    first_action: dict[str, list[Duration]]
    decision: dict[str, list[Duration]]
    breaches: list[Breaches]
    moderators: list[ModeratorCount]
    appeals: AppealOutcomes
    exposure: list[ExposureTotal]


def team_metrics(*, period: Period) -> TeamMetrics:
    """Every figure of the page (seven queries whatever the data)."""
    timings = case_timings(period=period)
    return TeamMetrics(
        period=period,
        queue=queue_over_time(period=period),
        first_action=time_to(timings, period=period, event="action"),
        decision=time_to(timings, period=period, event="decision"),
        breaches=deadline_breaches(timings, period=period),
        moderators=decisions_by_moderator(period=period),
        appeals=appeal_outcomes(period=period),
        exposure=exposure_totals(period=period),
    )


def source_label(value: str) -> str:
    return str(dict(Report.Source.choices).get(value, value))
