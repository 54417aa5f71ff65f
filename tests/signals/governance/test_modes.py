"""Detectors' modes: the resolver, modes at intake and later, and the one way to change a mode."""

from __future__ import annotations

import time

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from moderation import detectors
from moderation.models import Case, CaseSignal
from moderation.services.signals import SignalFound, case_signals_add
from signals import services as bank_services
from signals.governance.exceptions import (
    GovernanceInputInvalid,
    NotAllowed,
    StaleMode,
    StepUpRequired,
)
from signals.governance.modes import detector_mode_change, modes_resolve
from signals.models import Detector, HashBank
from tests.signals.governance.helpers import PLATFORM_KEY, scored_case, set_mode
from tests.signals.helpers import bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="sen")


def fresh() -> int:
    return int(time.time())


# --- The resolver ---------------------------------------------------------------------------


def test_resolver_defaults_banks_and_platform_live_models_shadow():
    keys = ["bank:ANY", "platform:nsfw-v3", "model:spam"]
    assert modes_resolve(keys) == {
        "bank:ANY": "live",
        "platform:nsfw-v3": "live",
        "model:spam": "shadow",
    }
    assert detectors.detector_modes(keys) == modes_resolve(keys)  # registered at start-up


def test_resolver_takes_the_rows_modes_in_one_query(django_assert_num_queries):
    set_mode("bank:ANY", "off")
    set_mode("model:spam", "live")
    set_mode("platform:nsfw-v3", "shadow")
    keys = [f"platform:extra-{i}" for i in range(20)] + [
        "bank:ANY",
        "model:spam",
        "platform:nsfw-v3",
    ]

    with django_assert_num_queries(1):
        modes = detectors.detector_modes(keys)

    assert (modes["bank:ANY"], modes["model:spam"], modes["platform:nsfw-v3"]) == (
        "off",
        "live",
        "shadow",
    )
    assert modes["platform:extra-3"] == "live"


def test_without_a_resolver_every_detector_is_live():
    set_mode("model:spam", "off")
    try:
        detectors.register_mode_resolver(None)
        assert detectors.detector_modes(["model:spam"]) == {"model:spam": "live"}
    finally:
        detectors.register_mode_resolver(modes_resolve)
    assert detectors.detector_modes(["model:spam"]) == {"model:spam": "off"}


# --- Modes where signals arrive ---------------------------------------------------------------


def test_intake_stores_live_and_shadow_platform_signals_and_drops_off_ones():
    live = scored_case(90)
    set_mode(PLATFORM_KEY, "shadow")
    shadow = scored_case(90)
    set_mode(PLATFORM_KEY, "off")
    off = scored_case(90)

    assert list(CaseSignal.objects.filter(case=live).values_list("detector", "mode")) == [
        (PLATFORM_KEY, "live")
    ]
    assert list(CaseSignal.objects.filter(case=shadow).values_list("mode", flat=True)) == ["shadow"]
    assert not CaseSignal.objects.filter(case=off).exists()
    # Shadow does not weigh in the priority; live does.
    live.refresh_from_db(), shadow.refresh_from_db(), off.refresh_from_db()
    assert shadow.priority == off.priority
    assert live.priority > shadow.priority


def _add_bank_signal(case: Case, name: str = "KNOWN_SPAM", score: int = 99) -> list[CaseSignal]:
    return case_signals_add(
        found=[
            SignalFound(
                report_id=case.reports.get().pk,
                kind="hash_match",
                name=name,
                label="spam",
                score=score,
                detector=f"bank:{name}",
            )
        ],
        action="signals.bank_matched",
    )


def test_case_signals_add_follows_the_modes_and_only_live_moves_priority():
    bank("KNOWN_SPAM")
    shadow_case, live_case, off_case = (scored_case(0, name="none") for _ in range(3))
    before = Case.objects.get(pk=shadow_case.pk).priority

    set_mode("bank:KNOWN_SPAM", "shadow")
    [shadow] = _add_bank_signal(shadow_case)
    set_mode("bank:KNOWN_SPAM", "off")
    assert _add_bank_signal(off_case) == []
    set_mode("bank:KNOWN_SPAM", "live")
    [live] = _add_bank_signal(live_case)

    assert (shadow.mode, live.mode) == ("shadow", "live")
    assert Case.objects.get(pk=shadow_case.pk).priority == before
    assert Case.objects.get(pk=live_case.pk).priority > before
    assert not CaseSignal.objects.filter(case=off_case, detector="bank:KNOWN_SPAM").exists()


# --- Changing a mode ---------------------------------------------------------------------------


def test_a_senior_changes_a_mode_with_a_reason_and_it_is_audited(senior):
    row = detector_mode_change(
        key="model:spam",
        mode="live",
        expected_mode="shadow",
        reason="Precision 96 % over 300 decisions.",
        actor=senior,
        reauthenticated_at=fresh(),
    )

    assert (row.kind, row.mode, row.changed_by) == ("model", "live", senior)
    event = AuditEvent.objects.get(action="detector.mode_changed")
    assert event.actor == senior
    assert event.data == {
        "detector": "model:spam",
        "from": "shadow",
        "to": "live",
        "reason": "Precision 96 % over 300 decisions.",
    }
    assert modes_resolve(["model:spam"]) == {"model:spam": "live"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "   "}, "reason"),
        ({"mode": "auto"}, "mode"),
        ({"key": "model:no-such-category"}, "key"),
        ({"key": "bank:NO_SUCH_BANK", "expected_mode": "live"}, "key"),
        ({"key": "weird:thing"}, "key"),
    ],
)
def test_bad_mode_changes_are_refused_with_a_message_and_change_nothing(senior, changes, field):
    call = {
        "key": "model:spam",
        "mode": "live",
        "expected_mode": "shadow",
        "reason": "Because.",
        **changes,
    }
    with pytest.raises(GovernanceInputInvalid) as refused:
        detector_mode_change(**call, actor=senior, reauthenticated_at=fresh())

    assert field in refused.value.errors
    assert refused.value.errors[field][0]
    assert not Detector.objects.exists()
    assert not AuditEvent.objects.filter(action="detector.mode_changed").exists()


def test_a_moderator_may_not_change_a_mode(moderator):
    with pytest.raises(NotAllowed):
        detector_mode_change(
            key="model:spam",
            mode="live",
            expected_mode="shadow",
            reason="x",
            actor=moderator,
            reauthenticated_at=fresh(),
        )
    assert not Detector.objects.exists()


def test_a_mode_change_without_a_fresh_step_up_is_refused(senior, settings):
    for stale in (None, fresh() - settings.REAUTH_MAX_AGE_SECONDS - 5):
        with pytest.raises(StepUpRequired):
            detector_mode_change(
                key="model:spam",
                mode="live",
                expected_mode="shadow",
                reason="x",
                actor=senior,
                reauthenticated_at=stale,
            )
    assert not Detector.objects.exists()


def test_a_stale_expected_mode_is_refused(senior):
    set_mode("model:spam", "off")  # someone switched it off after the page was shown
    with pytest.raises(StaleMode):
        detector_mode_change(
            key="model:spam",
            mode="live",
            expected_mode="shadow",
            reason="x",
            actor=senior,
            reauthenticated_at=fresh(),
        )
    assert Detector.objects.get(key="model:spam").mode == "off"
    assert not AuditEvent.objects.filter(action="detector.mode_changed").exists()


def test_switching_a_bank_off_disables_it_and_back_on_enables_it(senior):
    spam = bank("KNOWN_SPAM")
    detector_mode_change(
        key="bank:KNOWN_SPAM",
        mode="off",
        expected_mode="live",
        reason="Matches noise.",
        actor=senior,
        reauthenticated_at=fresh(),
    )
    spam.refresh_from_db()
    assert not spam.enabled
    event = AuditEvent.objects.get(action="detector.mode_changed")
    assert event.data["bank_enabled"] is False

    detector_mode_change(
        key="bank:KNOWN_SPAM",
        mode="shadow",
        expected_mode="off",
        reason="Watch it first.",
        actor=senior,
        reauthenticated_at=fresh(),
    )
    spam.refresh_from_db()
    assert spam.enabled
    assert Detector.objects.get(key="bank:KNOWN_SPAM").mode == "shadow"


def test_disabling_a_bank_in_its_settings_switches_its_detector_off(senior):
    spam = bank("KNOWN_SPAM")
    bank_services.bank_update(bank_id=spam.pk, actor=senior, enabled=False)
    assert Detector.objects.get(key="bank:KNOWN_SPAM").mode == "off"

    bank_services.bank_update(bank_id=spam.pk, actor=senior, enabled=True)
    assert Detector.objects.get(key="bank:KNOWN_SPAM").mode == "live"
    assert [
        e.data["to"]
        for e in AuditEvent.objects.filter(action="detector.mode_changed").order_by("id")
    ] == [
        "off",
        "live",
    ]


def test_a_bank_created_disabled_is_an_off_detector(senior):
    bank_services.bank_create(name="NEW_BANK", actor=senior, enabled=False)
    assert Detector.objects.get(key="bank:NEW_BANK").mode == "off"
    bank_services.bank_create(name="OTHER_BANK", actor=senior)
    assert not Detector.objects.filter(key="bank:OTHER_BANK").exists()  # live by default
    assert HashBank.objects.get(name="OTHER_BANK").enabled


# --- Signals already stored follow a mode change ------------------------------------------------


def test_a_detector_put_live_makes_its_stored_signals_on_open_cases_count(
    senior, django_capture_on_commit_callbacks
):
    bank("KNOWN_SPAM")
    open_case = scored_case(0, name="none")
    before = Case.objects.get(pk=open_case.pk).priority
    set_mode("bank:KNOWN_SPAM", "shadow")
    [signal] = _add_bank_signal(open_case)
    assert Case.objects.get(pk=open_case.pk).priority == before

    with django_capture_on_commit_callbacks(execute=True):
        detector_mode_change(
            key="bank:KNOWN_SPAM",
            mode="live",
            expected_mode="shadow",
            reason="Measured precision is good.",
            actor=senior,
            reauthenticated_at=fresh(),
        )

    signal.refresh_from_db()
    assert signal.mode == "live"
    assert Case.objects.get(pk=open_case.pk).priority > before


def test_a_detector_switched_off_stops_weighing_and_decided_cases_keep_theirs(
    senior, django_capture_on_commit_callbacks
):
    from moderation.services.signals import detector_signals_remode

    bank("KNOWN_SPAM")
    open_case, decided_case = scored_case(0, name="none"), scored_case(0, name="none")
    [live] = _add_bank_signal(open_case)
    [kept] = _add_bank_signal(decided_case)
    Case.objects.filter(pk=decided_case.pk).update(status=Case.Status.RESOLVED)
    raised = Case.objects.get(pk=open_case.pk).priority

    assert detector_signals_remode(detector="bank:KNOWN_SPAM", mode="off") == 1

    live.refresh_from_db()
    kept.refresh_from_db()
    assert (live.mode, kept.mode) == ("shadow", "live")
    assert Case.objects.get(pk=open_case.pk).priority < raised
    assert detector_signals_remode(detector="bank:KNOWN_SPAM", mode="off") == 0  # idempotent
