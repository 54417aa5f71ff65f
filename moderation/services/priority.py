"""
Case priority: one stored, indexed integer, with its explanation.

Each component is a whole number of points, so the score and its explanation are exact
and the case page can show why a case sits where it does.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from moderation.detectors import LIVE
from moderation.models import Case, CaseSignal, Category, Report, Reporter
from moderation.models.cases import SOURCE_FLAGS
from moderation.services import intake_sql

COMPONENT_LABELS = {
    "severity": "Category severity",
    "reporters": "Distinct reporters",
    "trusted_flagger": "Trusted flagger notice",
    "authority": "Authority notice",
    "reporter_accuracy": "Reporters' track record",
    "automated_signals": "Automated signals",
    "deadline": "Time left before the deadline",
    # A group case ranks at least as high as the highest message case rolled up into it.
    "rolled_up": "Rolled-up message cases (up to the highest)",
}


@dataclass(frozen=True)
class PriorityInputs:
    severity: int
    reporter_count: int
    has_trusted_flagger: bool
    has_authority: bool
    reports_resolved: int  # over the case's distinct reporters
    reports_actioned: int
    max_signal_score: int
    opened_at: datetime
    deadline_at: datetime


# A case opened at (or after) its deadline still gets a window, so the shares below are defined.
MIN_DEADLINE_WINDOW = timedelta(seconds=1)
MICROSECOND = timedelta(microseconds=1)


def deadline_points(*, opened_at: datetime, deadline_at: datetime, now: datetime) -> int:
    """
    Points for the share of the case's window (opened to deadline) that is left.

    Compared in exact timedelta arithmetic rather than float ratios, so that
    `deadline_points_change_at` can name the very microsecond the points move.
    """
    window = max(deadline_at - opened_at, MIN_DEADLINE_WINDOW)
    left = deadline_at - now
    if left <= timedelta(0):
        return 250
    if left * 4 < window:
        return 150
    if left * 2 < window:
        return 75
    return 0


def deadline_points_change_at(
    *, opened_at: datetime, deadline_at: datetime, now: datetime
) -> datetime | None:
    """
    The first instant after `now` at which `deadline_points` differs, or None if it never will.

    The deadline component is the only part of the priority that moves with time alone, and it
    moves three times at most (under half the window left, under a quarter, overdue); an
    overdue case keeps its points for good. Storing this instant lets the periodic run re-score
    only the cases whose score is due to change instead of every case near its deadline.
    """
    window = max(deadline_at - opened_at, MIN_DEADLINE_WINDOW)
    left = deadline_at - now
    if left <= timedelta(0):
        return None
    if left * 4 < window:
        return deadline_at
    share = 2 if left * 2 >= window else 4
    # Points move once left * share < window, i.e. left <= ceil(window / share) - 1 microsecond.
    return deadline_at - (-(-window // share)) + MICROSECOND


def compute_priority(inputs: PriorityInputs, *, now: datetime) -> tuple[int, dict[str, int]]:
    accuracy = (inputs.reports_actioned + 1) / (inputs.reports_resolved + 2)
    deadline = deadline_points(opened_at=inputs.opened_at, deadline_at=inputs.deadline_at, now=now)
    components = {
        "severity": 100 * inputs.severity,
        "reporters": min(round(40 * math.log2(1 + inputs.reporter_count)), 160),
        "trusted_flagger": 150 if inputs.has_trusted_flagger else 0,
        "authority": 200 if inputs.has_authority else 0,
        "reporter_accuracy": round((accuracy - 0.5) * 200) if inputs.reports_resolved else 0,
        "automated_signals": round(inputs.max_signal_score * 1.5),
        "deadline": deadline,
    }
    return sum(components.values()), components


def cases_refresh(*, case_ids: Iterable[int], now: datetime | None = None) -> int:
    """
    Recompute the denormalised counters, category, deadline and priority of these cases.

    A fixed number of queries whatever the number of cases (aggregates grouped by case),
    so a batch of 500 reports costs what a batch of 5 costs. Call it inside the
    transaction that changed the reports, after locking the cases. Each case also gets the
    time its score next changes by itself (`score_changes_at`), written with the score, so
    the periodic run finds it then and never earlier.
    """
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    now = now or timezone.now()
    categories = {c.pk: c for c in Category.objects.all()}
    cases = {c.pk: c for c in Case.objects.filter(pk__in=ids)}

    # Held reports (subject cleared recently, reporter muted) are stored on the case and
    # counted in `held_report_count`, but weigh in nothing: not the category, the sources,
    # the reporters, their track record nor `report_count`.
    queued = Report.objects.filter(case_id__in=ids, held=Report.Held.NO)
    per_category: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for row in (
        queued.values("case_id", "category_id").annotate(first=Min("received_at")).order_by()
    ):
        per_category[row["case_id"]].append((row["category_id"], row["first"]))

    sources: dict[int, set[str]] = defaultdict(set)
    for source_row in queued.values("case_id", "source").distinct().order_by():
        sources[source_row["case_id"]].add(source_row["source"])

    counts = {
        row["case_id"]: row
        for row in Report.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(
            n=Count("id", filter=Q(held=Report.Held.NO)),
            reporters=Count("reporter_id", distinct=True, filter=Q(held=Report.Held.NO)),
            held_n=Count("id", filter=~Q(held=Report.Held.NO)),
        )
        .order_by()
    }
    track: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    # Each reporter's record is looked up by its key (a subquery per pair) rather than joined:
    # with a large reporters table the planner would hash-join it, reading all of it (seen at
    # 150k reporters, 105 ms of a 1,000-case run).
    reporter = Reporter.objects.filter(pk=OuterRef("reporter_id"))
    for track_row in (
        queued.filter(reporter__isnull=False)
        .values("case_id", "reporter_id")
        .distinct()
        .annotate(
            resolved=Subquery(reporter.values("reports_resolved")[:1]),
            actioned=Subquery(reporter.values("reports_actioned")[:1]),
        )
        .order_by()
    ):
        track[track_row["case_id"]][0] += track_row["resolved"]
        track[track_row["case_id"]][1] += track_row["actioned"]
    signals = dict(
        # Shadow signals are shown on the case, never weighed.
        CaseSignal.objects.filter(case_id__in=ids, mode=LIVE)
        .values("case_id")
        .annotate(m=Max("score"))
        .order_by()
        .values_list("case_id", "m")
    )

    # Imported here: it builds on this module (PriorityInputs, compute_priority).
    from moderation.services import priority_groups

    # Only a group case has message cases rolled up into it: the others skip the query.
    groups = [pk for pk, c in cases.items() if c.subject_type == "group"]
    children = priority_groups.rolled_up_children(groups, refreshed=cases) if groups else {}
    for case_id, case in cases.items():
        case.held_report_count = counts[case_id]["held_n"] if case_id in counts else 0
        found = per_category.get(case_id)
        if case_id in children:
            # After every other case: a child refreshed in this call is folded in fresh.
            continue
        if not found:
            # Nothing to score it from: the periodic run must not keep picking it up.
            case.score_changes_at = None
            continue
        # The most severe category reported leads; the earliest deadline of any report holds.
        case.category = max((categories[c] for c, _ in found), key=lambda c: (c.severity, -c.pk))
        case.deadline_at = min(
            first + timedelta(hours=categories[c].deadline_hours) for c, first in found
        )
        src = sources[case_id]
        case.has_user_notice = Report.Source.USER in src
        case.has_trusted_flagger = Report.Source.TRUSTED_FLAGGER in src
        case.has_authority = Report.Source.AUTHORITY in src
        case.has_automated = Report.Source.AUTOMATED in src
        case.report_count = counts[case_id]["n"]
        case.reporter_count = counts[case_id]["reporters"]
        case.max_signal_score = signals.get(case_id) or 0
        resolved, actioned = track[case_id]
        inputs = PriorityInputs(
            severity=case.category.severity,
            reporter_count=case.reporter_count,
            has_trusted_flagger=case.has_trusted_flagger,
            has_authority=case.has_authority,
            reports_resolved=resolved,
            reports_actioned=actioned,
            max_signal_score=case.max_signal_score,
            opened_at=case.created_at,
            deadline_at=case.deadline_at,
        )
        score, components = compute_priority(inputs, now=now)
        case.priority = score
        # A resolved case leaves the queue for good (RESOLVED is final): no more re-scoring.
        case.score_changes_at = (
            deadline_points_change_at(
                opened_at=inputs.opened_at, deadline_at=inputs.deadline_at, now=now
            )
            if case.status in Case.ACTIVE
            else None
        )
        case.updated_at = now
        case.priority_explanation = {"components": components, "computed_at": now.isoformat()}
    for case_id, rolled_up in children.items():
        priority_groups.group_case_score(
            cases[case_id],
            found=per_category.get(case_id, []),
            categories=categories,
            sources=sources[case_id],
            counts=counts.get(case_id),
            track=track[case_id],
            max_signal=signals.get(case_id) or 0,
            children=rolled_up,
            now=now,
        )
    _cases_write(list(cases.values()))
    return len(cases)


# What cases_refresh writes back: the denormalised counters, category, deadline and score.
REFRESHED_FIELDS = (
    "category",
    "deadline_at",
    "language",
    *SOURCE_FLAGS,
    "report_count",
    "reporter_count",
    "held_report_count",
    "max_signal_score",
    "priority",
    "priority_explanation",
    "score_changes_at",
    "updated_at",
)


def _cases_write(cases: list[Case]) -> None:
    """
    Write the refreshed fields of these cases in one statement.

    On PostgreSQL an UPDATE ... FROM json_to_recordset(one JSON document): the SQL text and its
    single parameter are the same for 5 cases or 500, where `bulk_update` builds (and the
    database parses) a CASE WHEN per field per row, two thirds of a 500-report batch. The
    document is encoded by the json module's C code and quoted once; arrays (one per column)
    were quoted value by value in Python, a third of what was left of a batch's time
    (issue 18). Elsewhere (SQLite) `bulk_update` does the same job.
    """
    if not cases:
        return
    if not intake_sql.available():
        Case.objects.bulk_update(cases, list(REFRESHED_FIELDS))
        return
    fields = [cast("models.Field[Any, Any]", Case._meta.get_field(n)) for n in REFRESHED_FIELDS]
    quote = connection.ops.quote_name
    rows = [{"id": c.pk, **{str(f.column): getattr(c, f.attname) for f in fields}} for c in cases]
    types = ", ".join(
        ["id bigint"] + [f"{quote(str(f.column))} {intake_sql.record_type(f)}" for f in fields]
    )
    assignments = ", ".join(f"{quote(str(f.column))} = v.{quote(str(f.column))}" for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Case._meta.db_table} AS c SET {assignments} "  # noqa: S608 (names are the model's)
            f"FROM json_to_recordset(%s::json) AS v({types}) WHERE c.id = v.id",
            [intake_sql.record_json(rows)],
        )


def cases_count_held(*, case_ids: Iterable[int]) -> int:
    """
    Recount only the held reports of these cases (one UPDATE), nothing else.

    For resolved cases that keep gathering held reports: their decided priority, category
    and counters stay as they were when decided.
    """
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    held = (
        Report.objects.filter(case_id=OuterRef("pk"))
        .exclude(held=Report.Held.NO)
        .order_by()
        .values("case_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    # A held report brings evidence: the purge must look at the case again.
    return Case.objects.filter(pk__in=ids).update(
        held_report_count=Coalesce(Subquery(held), 0), evidence_purged_at=None
    )


REFRESH_CHUNK = 500
# The run holds a lease in the shared cache so that two runs never overlap (beat fires every
# five minutes; a slow run would otherwise meet the next one on the same row locks). The lease
# outlives the task's hard time limit (600 s in moderation.tasks), so it is never lost to a
# run that is still going; a worker killed mid-run leaves it to expire.
DEADLINE_RUN_LOCK = "moderation:cases-refresh-deadlines"
DEADLINE_RUN_LEASE_SECONDS = 600 + 60
# A run stops taking new chunks after this long, well before the task's soft time limit
# (540 s): what is left is still due, so the next run picks it up.
DEADLINE_RUN_BUDGET_SECONDS = 420


def cases_refresh_deadlines(*, now: datetime | None = None) -> int:
    """
    Re-score the active cases whose deadline points are due to change; returns how many.

    Only cases with `score_changes_at <= now` are read, through a partial index, so a run
    costs what is due, not what is stored: an overdue case is never read again. Chunks are
    locked and re-scored in their own transactions, so a long run never holds many row locks
    at once and intake waits for one chunk at most. Returns 0 at once when another run
    holds the lease.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    if not cache.add(DEADLINE_RUN_LOCK, token, timeout=DEADLINE_RUN_LEASE_SECONDS):
        return 0
    try:
        return _cases_rescore_due(now=now)
    finally:
        # Not another run's lease, should this one have outlived its own.
        if cache.get(DEADLINE_RUN_LOCK) == token:
            cache.delete(DEADLINE_RUN_LOCK)


def _cases_rescore_due(*, now: datetime) -> int:
    started = time.monotonic()
    rescored = 0
    seen: set[int] = set()
    while time.monotonic() - started < DEADLINE_RUN_BUDGET_SECONDS:
        # Every case a chunk handles leaves this set (a later score_changes_at, or None), so
        # the next query finds the next ones; `seen` only guards against a case that does not.
        ids = [
            pk
            for pk in Case.objects.filter(score_changes_at__lte=now)
            .order_by("score_changes_at")
            .values_list("pk", flat=True)[:REFRESH_CHUNK]
            if pk not in seen
        ]
        if not ids:
            break
        seen.update(ids)
        rescored += cases_lock_and_rescore(case_ids=ids, now=now)
    return rescored


@transaction.atomic(durable=True)
def cases_lock_and_rescore(*, case_ids: list[int], now: datetime) -> int:
    """
    Lock these cases in id order (as intake does, so neither deadlocks), re-score those due.

    The due check is made again under the lock: intake may have re-scored a case meanwhile.
    A case no longer active only has its `score_changes_at` cleared (its score stays as it
    was decided), which also takes it out of the partial index.
    """
    locked = list(
        Case.objects.select_for_update()
        .filter(pk__in=case_ids, score_changes_at__lte=now)
        .order_by("pk")
        .values_list("pk", "status")
    )
    done = [pk for pk, status in locked if status not in Case.ACTIVE]
    if done:
        Case.objects.filter(pk__in=done).update(score_changes_at=None)
    return cases_refresh(case_ids=[pk for pk, status in locked if status in Case.ACTIVE], now=now)
