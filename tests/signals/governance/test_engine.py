"""The engine: automatic decisions from live signals above a category's threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from moderation.dsa import validate_statement
from moderation.models import Case, CaseSignal, Decision
from moderation.services import claims, decisions
from moderation.services.signals import SignalFound, case_signals_add
from outbox import relay
from signals.governance import engine
from signals.governance.engine import auto_actions_consider, sampled_for_review
from signals.models import AutomatedAction, MatchCursor
from tests.moderation.factories import make_case, violation
from tests.signals.governance.helpers import PLATFORM_KEY, rule, scored_case, set_mode
from tests.signals.helpers import bank

pytestmark = pytest.mark.django_db


def test_a_live_signal_at_the_threshold_decides_the_case_fully_automatically():
    spam_rule = rule(threshold=90, actions=("remove_content", "label"))
    case = scored_case(90)

    assert auto_actions_consider(case_ids=[case.pk]) == 1

    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    decision = Decision.objects.get(case=case)
    assert decision.origin == Decision.Origin.AUTOMATED
    assert decision.actions == ["remove_content", "label"]
    assert decision.moderator.username == "automation"
    assert not decision.moderator.is_active
    assert not decision.moderator.has_usable_password()
    payload = decision.statement.payload
    assert payload["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert payload["automated_detection"] == "Yes"
    assert validate_statement(payload) == []
    assert PLATFORM_KEY in decision.explanation
    assert "90" in decision.explanation
    logged = AutomatedAction.objects.get(case=case)
    assert (logged.decision, logged.rule, logged.detector) == (decision, spam_rule, PLATFORM_KEY)
    assert (logged.score, logged.threshold, logged.sampled) == (90, 90, False)
    assert logged.signal == CaseSignal.objects.get(case=case)
    event = AuditEvent.objects.get(action="automation.decided", target_id=str(case.pk))
    assert event.data["detector"] == PLATFORM_KEY
    assert (event.data["score"], event.data["threshold"]) == (90, 90)
    assert AuditEvent.objects.filter(action="case.decided", target_id=str(case.pk)).exists()


def test_a_score_below_the_threshold_decides_nothing():
    rule(threshold=90)
    case = scored_case(89)

    assert auto_actions_consider(case_ids=[case.pk]) == 0

    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert not Decision.objects.filter(case=case).exists()
    assert not AutomatedAction.objects.exists()


def test_a_disabled_rule_or_no_rule_decides_nothing():
    case = scored_case(99)
    assert auto_actions_consider(case_ids=[case.pk]) == 0
    rule(enabled=False, threshold=50)
    assert auto_actions_consider(case_ids=[case.pk]) == 0
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_a_shadow_signal_never_triggers_an_action():
    rule(threshold=50)
    set_mode(PLATFORM_KEY, "shadow")
    case = scored_case(100)
    assert CaseSignal.objects.get(case=case).mode == "shadow"

    assert auto_actions_consider(case_ids=[case.pk]) == 0
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_a_detector_put_in_shadow_after_its_signal_was_stored_no_longer_acts():
    rule(threshold=50)
    case = scored_case(100)
    assert CaseSignal.objects.get(case=case).mode == "live"
    set_mode(PLATFORM_KEY, "shadow")

    assert auto_actions_consider(case_ids=[case.pk]) == 0


def test_a_signal_for_another_category_does_not_act():
    rule("spam", threshold=50)
    # A spam case whose report carried a bank match for a bank of another category.
    case = scored_case(30)
    other = bank("KNOWN_SCAMS", category=case.category.__class__.objects.get(code="scams_fraud"))
    case_signals_add(
        found=[
            SignalFound(
                report_id=case.reports.get().pk,
                kind="hash_match",
                name=other.name,
                label="scam",
                score=100,
                detector=f"bank:{other.name}",
            )
        ],
        action="signals.bank_matched",
    )

    assert auto_actions_consider(case_ids=[case.pk]) == 0


def test_a_bank_match_for_the_category_acts_and_the_best_live_signal_is_logged():
    rule("spam", threshold=80)
    spam_bank = bank("KNOWN_SPAM")
    case = scored_case(85)
    case_signals_add(
        found=[
            SignalFound(
                report_id=case.reports.get().pk,
                kind="hash_match",
                name=spam_bank.name,
                label="spam",
                score=97,
                detector="bank:KNOWN_SPAM",
            )
        ],
        action="signals.bank_matched",
    )

    assert auto_actions_consider(case_ids=[case.pk]) == 1
    assert AutomatedAction.objects.get(case=case).detector == "bank:KNOWN_SPAM"
    assert AutomatedAction.objects.get(case=case).score == 97


def test_a_claimed_case_is_left_to_its_moderator(moderator):
    rule(threshold=50)
    case = scored_case(99)
    claims.case_claim(case_id=case.pk, actor=moderator)

    assert auto_actions_consider(case_ids=[case.pk]) == 0
    case.refresh_from_db()
    assert (case.status, case.claimed_by) == (Case.Status.CLAIMED, moderator)


def test_a_case_claimed_then_released_is_left_to_people(moderator):
    rule(threshold=50)
    case = scored_case(99)
    claims.case_claim(case_id=case.pk, actor=moderator)
    claims.case_release(case_id=case.pk, actor=moderator)
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN

    assert auto_actions_consider(case_ids=[case.pk]) == 0


def test_rerunning_decides_nothing_twice():
    rule(threshold=50, sample_percent=100)
    case = scored_case(99)
    assert auto_actions_consider(case_ids=[case.pk]) == 1
    assert auto_actions_consider(case_ids=[case.pk, case.pk]) == 0
    assert engine.case_auto_decide(case_id=case.pk) is None
    assert Decision.objects.filter(case=case).count() == 1
    assert AutomatedAction.objects.count() == 1


def test_sampling_is_deterministic_and_near_its_share():
    ids = range(1, 201)
    sampled = [i for i in ids if sampled_for_review(i, 25)]
    # The same draw every time (a stable hash of the case id), hence an exact count...
    assert len(sampled) == 47
    assert sampled == [i for i in ids if sampled_for_review(i, 25)]
    # ...that lies near the share asked for.
    assert 0.15 * 200 <= len(sampled) <= 0.35 * 200
    assert not any(sampled_for_review(i, 0) for i in ids)
    assert all(sampled_for_review(i, 100) for i in ids)


def test_the_engine_samples_the_cases_the_draw_picks():
    rule(threshold=50, sample_percent=25)
    cases = [scored_case(95) for _ in range(24)]

    assert auto_actions_consider(case_ids=[c.pk for c in cases]) == 24

    sampled = set(AutomatedAction.objects.filter(sampled=True).values_list("case_id", flat=True))
    assert sampled == {c.pk for c in cases if sampled_for_review(c.pk, 25)}


def test_signals_added_at_intake_trigger_the_engine(django_capture_on_commit_callbacks):
    rule(threshold=90)
    with django_capture_on_commit_callbacks(execute=True):
        case = scored_case(95)
        quiet = scored_case(60)

    assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED
    assert Case.objects.get(pk=quiet.pk).status == Case.Status.OPEN


def test_the_relay_sweep_decides_cases_whose_task_was_lost():
    rule(threshold=90)
    case = scored_case(95)  # on_commit never ran here: as if the publish had been lost
    later = timezone.now() + timedelta(minutes=5)

    assert relay.relay_all(now=later)["signals.automation"] == 1

    assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED
    cursor = MatchCursor.objects.get(name=engine.SWEEP_CURSOR)
    assert cursor.last_report_id == CaseSignal.objects.get(case=case).pk
    assert relay.relay_all(now=later)["signals.automation"] == 0


def test_the_sweep_leaves_the_newest_signals_to_their_task():
    rule(threshold=90)
    case = scored_case(95)
    assert engine.automation_sweep(now=timezone.now()) == 0
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_a_human_decision_with_a_signal_is_partly_automated_one_without_is_not(moderator):
    with_signal = scored_case(70)
    without = make_case()
    made = {}
    for case in (with_signal, without):
        claims.case_claim(case_id=case.pk, actor=moderator)
        made[case.pk] = decisions.case_decide(
            case_id=case.pk, actor=moderator, decision=violation()
        )

    assert (
        made[with_signal.pk].statement.payload["automated_decision"]
        == "AUTOMATED_DECISION_PARTIALLY"
    )
    assert made[without.pk].statement.payload["automated_decision"] == (
        "AUTOMATED_DECISION_NOT_AUTOMATED"
    )
    for decision in made.values():
        assert validate_statement(decision.statement.payload) == []
