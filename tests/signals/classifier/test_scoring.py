"""Scoring new reports in the background: the signal, its mode, idempotency, the relay."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from moderation.models import Case, CaseSignal, Report
from signals.classifier import receivers, scoring, storage
from signals.models import MatchCursor
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db

SPAMMY = "FREE followers click the link now promo code WIN42 t.me/boost42"


def model_signals(case: Case) -> list[CaseSignal]:
    return list(CaseSignal.objects.filter(case=case, detector="model:spam").order_by("id"))


def on_intake(capture, **fields) -> Case:
    """A new case, with the work published after intake commits run (the receivers' tasks)."""
    with capture(execute=True):
        return make_case(**fields)


def test_a_new_report_is_scored_with_its_category_model_on_intake(
    spam_model, detector_mode, django_capture_on_commit_callbacks
):
    detector_mode("live")

    case = on_intake(django_capture_on_commit_callbacks, category="spam", subject__text=SPAMMY)

    [signal] = model_signals(case)
    assert signal.kind == CaseSignal.Kind.CLASSIFIER
    assert signal.name == f"text-model spam v{spam_model.version}"
    assert signal.label == "Spam"
    assert signal.mode == "live"
    assert signal.score >= 50
    details = signal.details
    assert details["model_version"] == spam_model.pk
    assert details["category"] == "spam"
    assert 1 <= len(details["terms"]) <= 8
    assert all(isinstance(t, str) and isinstance(w, float) for t, w in details["terms"])


def test_a_live_score_moves_the_priority_and_a_shadow_one_does_not(spam_model, detector_mode):
    detector_mode("off")  # intake scores nothing: the test adds the score itself
    live_case = make_case(category="spam", subject__text=SPAMMY)
    shadow_case = make_case(category="spam", subject__text=SPAMMY)
    before = {c.pk: Case.objects.get(pk=c.pk).priority for c in (live_case, shadow_case)}

    detector_mode("live")
    scoring.reports_score(report_ids=list(live_case.reports.values_list("pk", flat=True)))
    detector_mode("shadow")
    scoring.reports_score(report_ids=list(shadow_case.reports.values_list("pk", flat=True)))

    live_case.refresh_from_db()
    shadow_case.refresh_from_db()
    assert model_signals(live_case)[0].mode == "live"
    assert model_signals(shadow_case)[0].mode == "shadow"
    assert live_case.max_signal_score == model_signals(live_case)[0].score > 0
    assert live_case.priority > before[live_case.pk]
    assert shadow_case.max_signal_score == 0
    assert shadow_case.priority == before[shadow_case.pk]


def test_scoring_twice_adds_no_second_signal(
    spam_model, detector_mode, django_capture_on_commit_callbacks
):
    detector_mode("live")
    case = on_intake(django_capture_on_commit_callbacks, category="spam", subject__text=SPAMMY)
    report_ids = list(case.reports.values_list("pk", flat=True))

    assert scoring.reports_score(report_ids=report_ids) == 0
    assert len(model_signals(case)) == 1


def test_empty_purged_and_other_category_reports_are_not_scored(spam_model, detector_mode):
    detector_mode("off")
    empty = make_case(category="spam", subject__text="")
    purged = make_case(category="spam", subject__text=SPAMMY)
    Report.objects.filter(case=purged).update(evidence_purged_at=timezone.now())
    other = make_case(category="harassment", subject__text=SPAMMY)  # no harassment model
    detector_mode("live")

    added = scoring.reports_score(
        report_ids=list(
            Report.objects.filter(case__in=[empty, purged, other]).values_list("pk", flat=True)
        )
    )

    assert added == 0
    assert not CaseSignal.objects.filter(detector__startswith="model:").exists()


def test_an_altered_model_file_is_refused_and_nothing_is_scored(
    spam_model, detector_mode, caplog, django_capture_on_commit_callbacks
):
    detector_mode("live")
    path = storage.models_dir() / spam_model.file_name
    path.write_bytes(path.read_bytes() + b"tampered")

    with caplog.at_level(logging.ERROR, logger="signals.classifier.scoring"):
        case = on_intake(django_capture_on_commit_callbacks, category="spam", subject__text=SPAMMY)

    assert model_signals(case) == []
    assert "SHA-256 differs" in caplog.text
    with pytest.raises(storage.ModelFileRefused):
        storage.model_load(spam_model)


def test_the_relay_scores_reports_whose_task_was_lost(
    spam_model, detector_mode, monkeypatch, django_capture_on_commit_callbacks
):
    detector_mode("live")
    # The relay has walked every report so far; the next one's task is lost (broker down).
    MatchCursor.objects.create(name="classifier", last_report_id=Report.objects.latest("pk").pk)
    monkeypatch.setattr(receivers, "publish", lambda task, **kwargs: False)
    lost = on_intake(django_capture_on_commit_callbacks, category="spam", subject__text=SPAMMY)
    assert model_signals(lost) == []
    now = timezone.now()

    assert scoring.cursor_score(now=now) == 0  # too recent: its own task may still come
    added = scoring.cursor_score(now=now + scoring.CURSOR_GRACE + timedelta(seconds=1))

    assert added == 1
    assert len(model_signals(lost)) == 1
    cursor = MatchCursor.objects.get(name="classifier")
    assert cursor.last_report_id == lost.reports.get().pk
    assert scoring.cursor_score(now=now + timedelta(hours=1)) == 0  # moved past it


def test_a_new_active_version_scores_the_open_cases(moderator, detector_mode):
    from signals.classifier.training import models_train
    from tests.signals.classifier.helpers import labelled_cases, spam

    detector_mode("live")
    waiting = make_case(category="spam", subject__text=SPAMMY)  # no model yet
    labelled_cases(spam(60), moderator=moderator)

    run = models_train(category_id=waiting.category_id, actor=None)

    assert run.activated == 1
    assert len(model_signals(waiting)) == 1
