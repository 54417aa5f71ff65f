"""Precision per score band from people's decisions, Wilson intervals, sample agreement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from moderation.services import claims, decisions
from signals.governance import selectors
from signals.governance.engine import auto_actions_consider
from signals.governance.selectors import (
    agreement_rate,
    band_label,
    band_of,
    detector_rows,
    precision_by_band,
    wilson_interval,
)
from signals.models import AutomatedAction, Detector, ModelVersion
from tests.moderation.factories import no_violation, violation
from tests.signals.governance.helpers import PLATFORM_KEY, rule, scored_case, set_mode
from tests.signals.helpers import bank

BANDS = (0, 50, 70, 80, 90, 95)


def _rounded(interval: tuple[float, float]) -> tuple[float, float]:
    return (round(interval[0], 4), round(interval[1], 4))


def test_wilson_interval_on_known_values():
    assert _rounded(wilson_interval(8, 10)) == (0.4902, 0.9433)
    assert _rounded(wilson_interval(0, 10)) == (0.0, 0.2775)
    assert _rounded(wilson_interval(10, 10)) == (0.7225, 1.0)
    assert _rounded(wilson_interval(50, 100)) == (0.4038, 0.5962)
    assert wilson_interval(0, 0) == (0.0, 0.0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(3, 2)


def test_bands_by_lower_bound():
    assert [band_of(s, BANDS) for s in (0, 49, 50, 79, 94, 95, 100)] == [0, 0, 50, 70, 90, 95, 95]
    assert (band_label(0, BANDS), band_label(90, BANDS), band_label(95, BANDS)) == (
        "0–49",
        "90–94",
        "95–100",
    )


def test_precision_by_band_counts_each_band():
    outcomes = [(96, True), (99, True), (97, False), (91, True), (60, False), (10, False)]
    found = {b.lower: (b.n, b.violations) for b in precision_by_band(outcomes, BANDS)}
    assert found == {0: (1, 0), 50: (1, 0), 70: (0, 0), 80: (0, 0), 90: (1, 1), 95: (3, 2)}
    [top] = [b for b in precision_by_band(outcomes, BANDS) if b.lower == 95]
    assert round(top.precision, 4) == 0.6667
    assert top.precision_percent == 67
    assert top.interval_percent == tuple(round(100 * x) for x in wilson_interval(2, 3))


def test_agreement_rate():
    assert agreement_rate(3, 4) == 0.75
    assert agreement_rate(0, 0) is None


def _decide(case, actor, choice):
    claims.case_claim(case_id=case.pk, actor=actor)
    return decisions.case_decide(case_id=case.pk, actor=actor, decision=choice)


@pytest.mark.django_db
def test_detector_precision_from_peoples_decisions_exact_numbers(moderator):
    # Band 95-100: three cases a person decided, two violations. Band 90-94: one, none.
    for score, choice in ((96, violation()), (99, violation()), (97, no_violation())):
        _decide(scored_case(score), moderator, choice)
    _decide(scored_case(92), moderator, no_violation())
    # Shadow signals count too: that is what shadow is for.
    set_mode(PLATFORM_KEY, "shadow")
    _decide(scored_case(55), moderator, violation())
    set_mode(PLATFORM_KEY, "live")
    # Not counted: an open case, and a case decided by an automatic action.
    scored_case(98)
    rule(threshold=99)
    auto_actions_consider(case_ids=[scored_case(99).pk])

    [row] = [r for r in detector_rows() if r.key == PLATFORM_KEY]

    found = {b.lower: (b.n, b.violations) for b in row.bands if b.n}
    assert found == {95: (3, 2), 90: (1, 0), 50: (1, 1)}
    assert row.measured == 5
    assert row.signals_recent == row.signals_total == 7
    assert row.actions_taken == 1


@pytest.mark.django_db
def test_a_case_counts_once_per_detector_at_its_highest_score(moderator):
    case = scored_case(60)
    from moderation.services.signals import SignalFound, case_signals_add

    case_signals_add(
        found=[
            SignalFound(
                report_id=case.reports.get().pk,
                kind="classifier",
                name="spam-score",
                label="spam",
                score=97,
                detector=PLATFORM_KEY,
            )
        ],
        action="signals.bank_matched",
    )
    _decide(case, moderator, violation())

    [row] = [r for r in detector_rows() if r.key == PLATFORM_KEY]
    assert {b.lower: b.n for b in row.bands if b.n} == {95: 1}


@pytest.mark.django_db
def test_agreement_rate_per_detector_from_reviews(moderator):
    rule(threshold=90, sample_percent=100)
    cases = [scored_case(95) for _ in range(4)]
    auto_actions_consider(case_ids=[c.pk for c in cases])
    actions = list(AutomatedAction.objects.order_by("id"))
    from signals.governance.services import automated_action_review

    for action, verdict in zip(actions[:3], ("agree", "agree", "disagree"), strict=True):
        automated_action_review(
            action_id=action.pk,
            verdict=verdict,
            note="Not spam." if verdict == "disagree" else "",
            actor=moderator,
        )

    [row] = [r for r in detector_rows() if r.key == PLATFORM_KEY]
    assert (row.actions_taken, row.sampled, row.reviewed, row.agreed) == (4, 4, 3, 2)
    assert row.agreement_percent == 67


@pytest.mark.django_db
def test_every_detector_is_listed_with_its_mode():
    bank("KNOWN_SPAM")
    disabled = bank("OLD_BANK", enabled=False)
    set_mode("model:hate_speech", "live")
    scored_case(50, name="nsfw-v3")
    Detector.objects.create(key="platform:never-seen", kind="platform", mode="shadow")

    rows = {r.key: r.mode for r in detector_rows()}

    assert rows == {
        "bank:KNOWN_SPAM": "live",
        f"bank:{disabled.name}": "off",
        "model:hate_speech": "live",
        "platform:nsfw-v3": "live",
        "platform:never-seen": "shadow",
    }


@pytest.mark.django_db
def test_detector_rows_cost_the_same_queries_however_many_detectors(moderator):
    bank("KNOWN_SPAM")
    _decide(scored_case(96), moderator, violation())
    with CaptureQueriesContext(connection) as small:
        detector_rows()

    for i in range(6):
        bank(f"BANK_{i}")
        set_mode(f"model:cat{i}", "shadow")
        _decide(scored_case(50 + 8 * i, name=f"platform-{i}"), moderator, violation())
    rule(threshold=90)
    auto_actions_consider(case_ids=[scored_case(95, name="platform-x").pk])
    with CaptureQueriesContext(connection) as large:
        rows = detector_rows()

    assert len(rows) >= 14
    assert len(large.captured_queries) == len(small.captured_queries)


def test_model_versions_make_model_detectors(db):
    from moderation.models import Category

    ModelVersion.objects.create(
        category=Category.objects.get(code="spam"),
        version=1,
        file_name="x",
        sha256="0" * 64,
        sklearn_version="1",
    )
    rows = {r.key: r.mode for r in selectors.detector_rows()}
    assert rows["model:spam"] == "shadow"
