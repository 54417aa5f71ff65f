"""
Which new reports intake holds back from the queue, and where they are stored.

Two reasons to hold a report (`Report.held`):

- "cleared_recently": its subject's latest case was resolved "no violation" by a decision
  still in force, less than FLOOD_QUIET_DAYS ago. A pile-on about content already judged
  fine should not put it back in the queue on numbers alone, so the report is stored on the
  cleared case and counted there. A more severe category, a trusted flagger or an
  authority, or more than FLOOD_REOPEN_REPORTERS distinct (unmuted) reporters since the
  decision still open a new case, and the held reports move into it.
- "muted_reporter": a senior muted the reporter for filing in bad faith. The report is
  stored (statistics count it) on the subject's active case, else on its cleared case, else
  on no case at all; it never queues a subject nor weighs in a priority.

Everything here is planned in memory from rows intake reads once per batch, so a batch's
query count does not depend on how many reports it holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Case as Cases
from django.db.models import CharField, IntegerField, OuterRef, Q, Subquery, Value, When

from moderation.models import Case, Category, Decision, Report, Reporter
from moderation.models.decisions import Action

if TYPE_CHECKING:
    from moderation.services.intake import ReportInput

HELD = Report.Held
# Sources whose notice is weighed on its own authority, whatever was decided before.
REOPENING_SOURCES = frozenset({Report.Source.TRUSTED_FLAGGER, Report.Source.AUTHORITY})


@dataclass(frozen=True)
class ClearedCase:
    """A subject's latest case, resolved "no violation" by a decision in force, recently."""

    case_id: int
    subject_id: int
    severity: int
    decided_at: datetime


@dataclass
class HoldPlan:
    """Where each new report goes (by external_id) and which subjects need a new case."""

    # external_id -> held reason ("" for a queued report)
    held: dict[str, str] = field(default_factory=dict)
    # external_id -> the cleared case it is stored on (held on it)
    on_cleared_case: dict[str, int] = field(default_factory=dict)
    # subject ids whose cleared case gives way to a new case, with why
    reopened: dict[int, str] = field(default_factory=dict)
    # subject ids that need an active case (none yet, and a report that queues)
    needs_case: set[int] = field(default_factory=set)


def quiet_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=settings.FLOOD_QUIET_DAYS)


def cleared_cases(*, subject_ids: Iterable[int], now: datetime) -> dict[int, ClearedCase]:
    """
    The subjects (among these, none with an active case) still in their quiet period.

    One query: every decision of the subjects' resolved cases, newest case and decision
    first; a subject is quiet when the newest one is a "no violation" still in force and
    recent. An appeal that replaced it (superseded) or reversed it ends the quiet period.
    """
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    cutoff = quiet_cutoff(now)
    found: dict[int, ClearedCase] = {}
    seen: set[int] = set()
    for subject_id, case_id, status, actions, decided_at, severity in (
        Decision.objects.filter(case__subject_id__in=ids, case__status=Case.Status.RESOLVED)
        .order_by("case__subject_id", "-case_id", "-id")
        .values_list(
            "case__subject_id",
            "case_id",
            "status",
            "actions",
            "created_at",
            "case__category__severity",
        )
    ):
        if subject_id in seen:
            continue
        seen.add(subject_id)
        if (
            status == Decision.Status.IN_FORCE
            and Action.NO_VIOLATION in actions
            and decided_at >= cutoff
        ):
            found[subject_id] = ClearedCase(case_id, subject_id, severity, decided_at)
    return found


def held_reporters_since_decision(cleared: dict[int, ClearedCase]) -> dict[int, set[int]]:
    """By cleared case: the unmuted reporters of its reports held since the decision (1 query)."""
    if not cleared:
        return {}
    since = {c.case_id: c.decided_at for c in cleared.values()}
    reporters: dict[int, set[int]] = defaultdict(set)
    for case_id, reporter_id, received_at in Report.objects.filter(
        case_id__in=sorted(since),
        held=HELD.CLEARED_RECENTLY,
        reporter__isnull=False,
        reporter__muted_at__isnull=True,
    ).values_list("case_id", "reporter_id", "received_at"):
        if received_at >= since[case_id]:
            reporters[case_id].add(reporter_id)
    return reporters


def plan_holds(
    *,
    items: list[ReportInput],
    subject_of: dict[str, int],
    reporters: dict[str, Reporter],
    categories: dict[str, Category],
    active_subjects: set[int],
    cleared: dict[int, ClearedCase],
    held_reporters: dict[int, set[int]],
) -> HoldPlan:
    """Decide, in memory, each new report's hold and which subjects open a new case."""
    plan = HoldPlan()

    def muted(item: ReportInput) -> bool:
        reporter = reporters.get(item.reporter_id)
        return reporter is not None and reporter.muted_at is not None

    # Which cleared subjects this batch reopens, and why.
    new_reporters: dict[int, set[int]] = defaultdict(set)
    for item in items:
        subject_id = subject_of[item.external_id]
        found = cleared.get(subject_id)
        if found is None or subject_id in active_subjects or muted(item):
            continue
        if item.source in REOPENING_SOURCES:
            plan.reopened.setdefault(subject_id, item.source)
        elif categories[item.category].severity > found.severity:
            plan.reopened.setdefault(subject_id, "more_severe_category")
        reporter = reporters.get(item.reporter_id)
        if reporter is not None:
            new_reporters[subject_id].add(reporter.pk)
    limit = settings.FLOOD_REOPEN_REPORTERS
    for subject_id, batch_reporters in new_reporters.items():
        distinct = batch_reporters | held_reporters.get(cleared[subject_id].case_id, set())
        if len(distinct) > limit:
            plan.reopened.setdefault(subject_id, "reporters")

    for item in items:
        subject_id = subject_of[item.external_id]
        if muted(item):
            plan.held[item.external_id] = HELD.MUTED_REPORTER
            quiet = subject_id in cleared and subject_id not in plan.reopened
            if quiet and subject_id not in active_subjects:
                plan.on_cleared_case[item.external_id] = cleared[subject_id].case_id
            continue
        if subject_id in active_subjects:
            plan.held[item.external_id] = HELD.NO
        elif subject_id in cleared and subject_id not in plan.reopened:
            plan.held[item.external_id] = HELD.CLEARED_RECENTLY
            plan.on_cleared_case[item.external_id] = cleared[subject_id].case_id
        else:
            plan.held[item.external_id] = HELD.NO
            plan.needs_case.add(subject_id)
    return plan


def held_reports_move(*, moves: dict[int, tuple[ClearedCase, int]]) -> list[int]:
    """
    Move the reports held on cleared cases since their decision into the new cases.

    `moves` maps subject id -> (its cleared case, its new case). Unmuted reporters' reports
    are no longer held, so the moderator sees every reporter; a muted reporter's stay held.
    One UPDATE whatever the number of cases. Returns the ids of the reports that are no longer
    held: the detectors (hash banks, classifier, near-duplicates) skipped them while held.
    """
    if not moves:
        return []
    since = Q()
    target = []
    for cleared, new_case_id in moves.values():
        since |= Q(case_id=cleared.case_id, received_at__gte=cleared.decided_at)
        target.append(When(case_id=cleared.case_id, then=Value(new_case_id)))
    rows = list(
        Report.objects.filter(since)
        .exclude(held=HELD.NO)
        .values_list("pk", "held", "reporter__muted_at")
    )
    if not rows:
        return []
    still_muted = [pk for pk, held, muted_at in rows if held == HELD.MUTED_REPORTER or muted_at]
    Report.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
        case_id=Cases(*target, output_field=IntegerField()),
        held=Cases(
            When(pk__in=still_muted, then=Value(HELD.MUTED_REPORTER)),
            default=Value(HELD.NO),
            output_field=CharField(),
        ),
    )
    return sorted(pk for pk, _, _ in rows if pk not in set(still_muted))


def caseless_reports_attach(*, subject_ids: Iterable[int]) -> int:
    """
    A muted reporter's reports that found no case join the subject's new active case (held).

    Then the moderator deciding the subject sees everything said about it, the mute shown;
    nothing about them weighs in the priority. One UPDATE.
    """
    ids = sorted(set(subject_ids))
    if not ids:
        return 0
    return Report.objects.filter(subject_id__in=ids, case__isnull=True).update(
        case_id=Subquery(
            Case.objects.filter(subject_id=OuterRef("subject_id"), status__in=Case.ACTIVE).values(
                "pk"
            )[:1]
        )
    )
