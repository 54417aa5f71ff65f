"""Races on PostgreSQL: two workers and a moderator on one case, two reviewers, two seniors."""

from __future__ import annotations

import time

import pytest

from accounts.roles import Role
from moderation.exceptions import ModerationError
from moderation.models import Case, Decision
from moderation.services import claims
from signals.governance.engine import auto_actions_consider, case_auto_decide
from signals.governance.exceptions import AlreadyReviewed, StaleMode
from signals.governance.modes import detector_mode_change
from signals.governance.services import automated_action_review
from signals.models import AutomatedAction, Detector
from tests.signals.governance.helpers import rule, scored_case
from tests.utils import race, race_errors, race_outcomes, requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_and_a_claiming_moderator_decide_each_case_once(moderator):
    # Cases first: with real commits, intake's task would decide them at once under the rule.
    cases = [scored_case(95) for _ in range(4)]
    rule(threshold=90)
    for case in cases:
        first, second, claimed = race(
            lambda case_id=case.pk: case_auto_decide(case_id=case_id),
            lambda case_id=case.pk: case_auto_decide(case_id=case_id),
            lambda case_id=case.pk: claims.case_claim(case_id=case_id, actor=moderator),
        )
        assert race_errors([first, second, claimed], ModerationError) == []
        [claim] = race_outcomes([claimed], refusal=ModerationError, ok="claimed")
        decided = [r for r in (first, second) if isinstance(r, AutomatedAction)]
        case.refresh_from_db()
        if claim == "claimed":
            # The moderator was first: the automation left the case alone.
            assert decided == []
            assert case.status == Case.Status.CLAIMED
        else:
            assert len(decided) == 1
            assert case.status == Case.Status.RESOLVED
        assert Decision.objects.filter(case=case).count() == len(decided)
        assert AutomatedAction.objects.filter(case=case).count() == len(decided)


def test_concurrent_sweeps_decide_a_case_once():
    case = scored_case(95)
    rule(threshold=90)
    results = race(
        lambda: auto_actions_consider(case_ids=[case.pk]),
        lambda: auto_actions_consider(case_ids=[case.pk]),
    )
    assert sorted(results) == [0, 1]
    assert Decision.objects.filter(case=case).count() == 1


def test_two_reviewers_at_once_one_verdict_stands(make_user):
    rule(threshold=90, sample_percent=100)
    auto_actions_consider(case_ids=[scored_case(95).pk])
    action = AutomatedAction.objects.get()
    first, second = make_user(Role.MODERATOR), make_user(Role.MODERATOR)
    results = race(
        lambda: automated_action_review(action_id=action.pk, verdict="agree", note="", actor=first),
        lambda: automated_action_review(
            action_id=action.pk, verdict="disagree", note="Not spam.", actor=second
        ),
    )
    assert sorted(race_outcomes(results, refusal=AlreadyReviewed)) == ["ok", "refused"]
    action.refresh_from_db()
    winner = next(r for r in results if isinstance(r, AutomatedAction))
    assert (action.review, action.reviewed_by_id) == (winner.review, winner.reviewed_by_id)


def test_two_seniors_switching_one_detector_one_is_refused_as_stale(make_user):
    seniors = [make_user(Role.SENIOR_MODERATOR) for _ in range(2)]
    results = race(
        *(
            lambda actor=actor, mode=mode: detector_mode_change(
                key="model:spam",
                mode=mode,
                expected_mode="shadow",
                reason="Race.",
                actor=actor,
                reauthenticated_at=int(time.time()),
            )
            for actor, mode in zip(seniors, ("live", "off"), strict=True)
        )
    )
    assert sorted(race_outcomes(results, refusal=StaleMode)) == ["ok", "refused"]
    winner = next(r for r in results if isinstance(r, Detector))
    assert Detector.objects.get(key="model:spam").mode == winner.mode
