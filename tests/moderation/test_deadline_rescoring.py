"""
The periodic deadline re-scoring reads only the cases whose score is due to change.

The deadline component moves three times at most (half the window left, a quarter, overdue),
so each case stores the instant of its next move and the run touches nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from moderation.models import Case, Report
from moderation.services import claims, decisions, priority
from moderation.services.intake import reports_ingest
from moderation.services.priority import (
    DEADLINE_RUN_LOCK,
    PriorityInputs,
    cases_refresh_deadlines,
    compute_priority,
    deadline_points,
    deadline_points_change_at,
)
from tests.moderation.factories import make_case, report_input, violation

pytestmark = pytest.mark.django_db

US = timedelta(microseconds=1)
OPENED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEADLINE = OPENED + timedelta(hours=100)


def _points(now: datetime, *, opened: datetime = OPENED, deadline: datetime = DEADLINE) -> int:
    return deadline_points(opened_at=opened, deadline_at=deadline, now=now)


def _change(now: datetime, *, opened: datetime = OPENED, deadline: datetime = DEADLINE):
    return deadline_points_change_at(opened_at=opened, deadline_at=deadline, now=now)


# --- The pure function --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "points", "changes_at"),
    [
        (OPENED - timedelta(hours=1), 0, OPENED + timedelta(hours=50) + US),
        (OPENED, 0, OPENED + timedelta(hours=50) + US),
        # Exactly half left is not yet "less than half".
        (OPENED + timedelta(hours=50), 0, OPENED + timedelta(hours=50) + US),
        (OPENED + timedelta(hours=50) + US, 75, OPENED + timedelta(hours=75) + US),
        (OPENED + timedelta(hours=75), 75, OPENED + timedelta(hours=75) + US),
        (OPENED + timedelta(hours=75) + US, 150, DEADLINE),
        (DEADLINE - US, 150, DEADLINE),
        # Overdue: the points are at their maximum and never move again.
        (DEADLINE, 250, None),
        (DEADLINE + timedelta(days=30), 250, None),
    ],
)
def test_deadline_points_change_at_names_the_next_move_at_each_boundary(now, points, changes_at):
    assert _points(now) == points
    assert _change(now) == changes_at


def test_deadline_points_change_at_with_a_zero_length_window_uses_one_second():
    at = OPENED  # opened at its deadline

    assert _change(at - timedelta(seconds=1), deadline=at) == at - timedelta(milliseconds=500) + US
    assert _change(at - timedelta(milliseconds=300), deadline=at) == (
        at - timedelta(milliseconds=250) + US
    )
    assert _change(at - timedelta(milliseconds=100), deadline=at) == at
    assert _change(at, deadline=at) is None
    # A deadline before the opening (a backdated report) gets the same one-second window.
    assert _change(at - US, opened=at + timedelta(hours=1), deadline=at) == at


@pytest.mark.parametrize(
    "window",
    [
        timedelta(0),
        timedelta(microseconds=1),
        timedelta(seconds=1, microseconds=1),
        timedelta(seconds=1, microseconds=3),
        timedelta(hours=1),
        timedelta(hours=23, microseconds=7),
        timedelta(days=7),
    ],
)
def test_deadline_points_hold_until_the_named_instant_and_move_at_it(window):
    deadline = OPENED + window
    now = OPENED - timedelta(hours=1)
    seen = [_points(now, deadline=deadline)]
    while (changes_at := _change(now, deadline=deadline)) is not None:
        assert changes_at > now
        before = _points(changes_at - US, deadline=deadline)
        assert before == _points(now, deadline=deadline)
        assert _points(changes_at, deadline=deadline) != before
        now = changes_at
        seen.append(_points(now, deadline=deadline))
    assert seen[-1] == 250
    assert seen == sorted(seen)
    assert len(seen) <= 4


def test_compute_priority_uses_the_same_deadline_points():
    inputs = PriorityInputs(
        severity=3,
        reporter_count=1,
        has_trusted_flagger=False,
        has_authority=False,
        reports_resolved=0,
        reports_actioned=0,
        max_signal_score=0,
        opened_at=OPENED,
        deadline_at=DEADLINE,
    )
    for now in (OPENED, OPENED + timedelta(hours=50) + US, OPENED + timedelta(hours=80), DEADLINE):
        assert compute_priority(inputs, now=now)[1]["deadline"] == _points(now)


# --- Storing the next change with the score ------------------------------------------------------


def _terrorism_case(**overrides) -> Case:
    """A one-hour deadline, scored by intake, with the next change intake stored."""
    return make_case(rescore_due=False, category="terrorism", **overrides)


def test_intake_stores_when_the_score_next_changes():
    item = report_input(category="terrorism")
    reports_ingest(items=[item])

    case = Case.objects.get()
    assert case.score_changes_at is not None
    assert case.score_changes_at == deadline_points_change_at(
        opened_at=case.created_at, deadline_at=case.deadline_at, now=case.created_at
    )
    assert case.created_at < case.score_changes_at < case.deadline_at


# --- The periodic run ---------------------------------------------------------------------------


def test_refresh_deadlines_leaves_a_case_whose_change_is_still_ahead():
    case = _terrorism_case()
    before = Case.objects.values("updated_at", "priority_explanation").get(pk=case.pk)

    assert cases_refresh_deadlines(now=case.score_changes_at - US) == 0

    assert Case.objects.values("updated_at", "priority_explanation").get(pk=case.pk) == before


def test_refresh_deadlines_rescores_a_case_past_half_its_window_and_stores_the_next_change():
    case = _terrorism_case()
    assert case.priority_explanation["components"]["deadline"] == 0
    now = case.score_changes_at

    assert cases_refresh_deadlines(now=now) == 1

    case.refresh_from_db()
    assert case.priority_explanation["components"]["deadline"] == 75
    assert case.updated_at == now
    window = case.deadline_at - case.created_at
    assert case.score_changes_at == case.deadline_at - (-(-window // 4)) + US
    assert case.score_changes_at > now


def test_refresh_deadlines_scores_an_overdue_case_once_then_never_reads_it_again():
    case = make_case(category="terrorism")  # due now, as the migration leaves every case
    Report.objects.filter(case=case).update(received_at=timezone.now() - timedelta(hours=2))

    assert cases_refresh_deadlines() == 1
    case.refresh_from_db()
    assert case.priority_explanation["components"]["deadline"] == 250
    assert case.score_changes_at is None
    scored = case.updated_at

    assert cases_refresh_deadlines(now=timezone.now() + timedelta(hours=1)) == 0
    case.refresh_from_db()
    assert case.updated_at == scored


def test_refresh_deadlines_reads_only_the_cases_that_are_due(monkeypatch):
    due = _terrorism_case()
    idle = [_terrorism_case() for _ in range(3)]
    overdue = _terrorism_case()
    Case.objects.filter(pk__in=[c.pk for c in idle]).update(
        score_changes_at=due.score_changes_at + timedelta(minutes=10)
    )
    Case.objects.filter(pk=overdue.pk).update(
        deadline_at=timezone.now() - timedelta(hours=1), score_changes_at=None
    )
    untouched = dict(Case.objects.exclude(pk=due.pk).values_list("pk", "updated_at"))
    read: list[int] = []
    lock_and_rescore = priority.cases_lock_and_rescore

    def spy(*, case_ids, now):
        read.extend(case_ids)
        return lock_and_rescore(case_ids=case_ids, now=now)

    monkeypatch.setattr(priority, "cases_lock_and_rescore", spy)

    assert cases_refresh_deadlines(now=due.score_changes_at) == 1

    assert read == [due.pk]
    assert dict(Case.objects.exclude(pk=due.pk).values_list("pk", "updated_at")) == untouched


def test_refresh_deadlines_query_count_does_not_grow_with_idle_cases(django_assert_num_queries):
    def arrange(idle: int) -> datetime:
        Case.objects.update(score_changes_at=None)
        due = _terrorism_case()
        for _ in range(idle):
            _terrorism_case()
        Case.objects.exclude(pk=due.pk).update(
            deadline_at=timezone.now() - timedelta(hours=1), score_changes_at=None
        )
        return due.score_changes_at

    now = arrange(idle=1)
    with CaptureQueriesContext(connection) as small:
        assert cases_refresh_deadlines(now=now) == 1
    now = arrange(idle=8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert cases_refresh_deadlines(now=now) == 1


def test_refresh_deadlines_goes_through_every_due_case_in_chunks(monkeypatch):
    monkeypatch.setattr(priority, "REFRESH_CHUNK", 2)
    cases = [_terrorism_case() for _ in range(5)]
    now = max(c.score_changes_at for c in cases)
    chunks: list[list[int]] = []
    lock_and_rescore = priority.cases_lock_and_rescore

    def spy(*, case_ids, now):
        chunks.append(case_ids)
        return lock_and_rescore(case_ids=case_ids, now=now)

    monkeypatch.setattr(priority, "cases_lock_and_rescore", spy)

    assert cases_refresh_deadlines(now=now) == 5

    assert [len(c) for c in chunks] == [2, 2, 1]
    assert not Case.objects.filter(score_changes_at__lte=now).exists()


def test_refresh_deadlines_stops_at_its_time_budget_and_leaves_the_rest_due(monkeypatch):
    monkeypatch.setattr(priority, "DEADLINE_RUN_BUDGET_SECONDS", 0)
    case = make_case(category="terrorism")

    assert cases_refresh_deadlines() == 0

    assert Case.objects.filter(pk=case.pk, score_changes_at__lte=timezone.now()).exists()


def test_refresh_deadlines_clears_a_resolved_case_without_rescoring_it(moderator):
    case = make_case(category="terrorism", rescore_due=False)
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    decided = Case.objects.values("priority", "priority_explanation", "updated_at").get(pk=case.pk)
    assert Case.objects.get(pk=case.pk).score_changes_at is not None

    assert cases_refresh_deadlines(now=timezone.now() + timedelta(hours=2)) == 0

    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert case.score_changes_at is None
    assert {
        "priority": case.priority,
        "priority_explanation": case.priority_explanation,
        "updated_at": case.updated_at,
    } == decided


# --- One run at a time --------------------------------------------------------------------------


def test_refresh_deadlines_does_nothing_while_another_run_holds_the_lock():
    case = make_case(category="terrorism")
    assert cache.add(DEADLINE_RUN_LOCK, "another run", timeout=60)
    try:
        assert cases_refresh_deadlines() == 0
        case.refresh_from_db()
        assert case.score_changes_at is not None
        assert case.score_changes_at <= timezone.now()
    finally:
        cache.delete(DEADLINE_RUN_LOCK)

    assert cases_refresh_deadlines() == 1


def test_refresh_deadlines_releases_the_lock_when_a_run_fails(monkeypatch):
    make_case()

    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(priority, "cases_lock_and_rescore", fail)

    with pytest.raises(RuntimeError):
        cases_refresh_deadlines()
    assert cache.get(DEADLINE_RUN_LOCK) is None
