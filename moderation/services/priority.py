"""
Case priority: one stored, indexed integer, with its explanation.

Each component is a whole number of points, so the score and its explanation are exact
and the case page can show why a case sits where it does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from moderation.models import Case, CaseSignal, Category, Report

COMPONENT_LABELS = {
    "severity": "Category severity",
    "reporters": "Distinct reporters",
    "trusted_flagger": "Trusted flagger notice",
    "authority": "Authority notice",
    "reporter_accuracy": "Reporters' track record",
    "automated_signals": "Automated signals",
    "deadline": "Time left before the deadline",
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


def compute_priority(inputs: PriorityInputs, *, now: datetime) -> tuple[int, dict[str, int]]:
    accuracy = (inputs.reports_actioned + 1) / (inputs.reports_resolved + 2)
    total_time = max((inputs.deadline_at - inputs.opened_at).total_seconds(), 1)
    left = (inputs.deadline_at - now).total_seconds()
    if left <= 0:
        deadline = 250
    elif left / total_time < 0.25:
        deadline = 150
    elif left / total_time < 0.5:
        deadline = 75
    else:
        deadline = 0
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
    transaction that changed the reports, after locking the cases.
    """
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    now = now or timezone.now()
    categories = {c.pk: c for c in Category.objects.all()}
    cases = {c.pk: c for c in Case.objects.filter(pk__in=ids)}

    per_category: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for row in (
        Report.objects.filter(case_id__in=ids)
        .values("case_id", "category_id")
        .annotate(first=Min("received_at"))
        .order_by()
    ):
        per_category[row["case_id"]].append((row["category_id"], row["first"]))

    sources: dict[int, set[str]] = defaultdict(set)
    for source_row in (
        Report.objects.filter(case_id__in=ids).values("case_id", "source").distinct().order_by()
    ):
        sources[source_row["case_id"]].add(source_row["source"])

    counts = {
        row["case_id"]: row
        for row in Report.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(n=Count("id"), reporters=Count("reporter_id", distinct=True))
        .order_by()
    }
    track: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for track_row in (
        Report.objects.filter(case_id__in=ids, reporter__isnull=False)
        .values(
            "case_id", "reporter_id", "reporter__reports_resolved", "reporter__reports_actioned"
        )
        .distinct()
        .order_by()
    ):
        track[track_row["case_id"]][0] += track_row["reporter__reports_resolved"]
        track[track_row["case_id"]][1] += track_row["reporter__reports_actioned"]
    signals = dict(
        CaseSignal.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(m=Max("score"))
        .order_by()
        .values_list("case_id", "m")
    )

    for case_id, case in cases.items():
        found = per_category.get(case_id)
        if not found:
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
        score, components = compute_priority(
            PriorityInputs(
                severity=case.category.severity,
                reporter_count=case.reporter_count,
                has_trusted_flagger=case.has_trusted_flagger,
                has_authority=case.has_authority,
                reports_resolved=resolved,
                reports_actioned=actioned,
                max_signal_score=case.max_signal_score,
                opened_at=case.created_at,
                deadline_at=case.deadline_at,
            ),
            now=now,
        )
        case.priority = score
        case.updated_at = now
        case.priority_explanation = {"components": components, "computed_at": now.isoformat()}
    Case.objects.bulk_update(
        list(cases.values()),
        [
            "category",
            "deadline_at",
            "has_user_notice",
            "has_trusted_flagger",
            "has_authority",
            "has_automated",
            "report_count",
            "reporter_count",
            "max_signal_score",
            "priority",
            "priority_explanation",
            "updated_at",
        ],
    )
    return len(cases)


def deadline_sensitive_case_ids(*, now: datetime, horizon: timedelta) -> list[int]:
    """Open cases whose deadline falls within the horizon (or has passed): their score moves."""
    return list(
        Case.objects.filter(status__in=Case.ACTIVE, deadline_at__lte=now + horizon)
        .order_by("deadline_at")
        .values_list("pk", flat=True)
    )


DEADLINE_HORIZON = timedelta(hours=48)
REFRESH_CHUNK = 500


def cases_refresh_deadlines(*, now: datetime | None = None) -> int:
    """
    Re-score active cases whose deadline approaches, so they climb the queue in time.

    Chunks of cases are locked and refreshed in their own transactions: a long run never
    holds many row locks at once, and intake waits for one chunk at most.
    """
    now = now or timezone.now()
    ids = deadline_sensitive_case_ids(now=now, horizon=DEADLINE_HORIZON)
    return sum(
        cases_lock_and_refresh(case_ids=ids[start : start + REFRESH_CHUNK], now=now)
        for start in range(0, len(ids), REFRESH_CHUNK)
    )


@transaction.atomic(durable=True)
def cases_lock_and_refresh(*, case_ids: list[int], now: datetime | None = None) -> int:
    """Lock these cases in id order (as intake does, so neither deadlocks), then re-score them."""
    list(
        Case.objects.select_for_update()
        .filter(pk__in=case_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return cases_refresh(case_ids=case_ids, now=now)
