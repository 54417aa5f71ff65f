"""
Intake's own checks, for every path into it (API, demo, imports): a language the EU
Transparency Database lists, and no posting time in the future.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation import language as language_detection
from moderation.models import Case, Report
from moderation.services import intake
from moderation.services.intake import POSTED_AT_MAX_SKEW, reports_ingest
from tests.moderation.factories import report_input

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["xx", "XX", "iw", "IN", "zz", "e", "eng", "ß"])
def test_intake_refuses_a_language_the_eu_database_does_not_list(language):
    bad, good = report_input(language=language), report_input()

    result = reports_ingest(items=[bad, good], channel="demo")

    assert result.rejected_fields == {bad.external_id: "language"}
    assert "language" in result.rejected[bad.external_id]
    assert result.created == [good.external_id]
    assert list(Report.objects.values_list("external_id", flat=True)) == [good.external_id]


def test_intake_accepts_a_listed_language_in_any_case_and_stores_it_in_lower_case():
    upper, lower = report_input(language="DE"), report_input(language="he")

    result = reports_ingest(items=[upper, lower])

    assert result.rejected == {}
    stored = dict(Report.objects.values_list("external_id", "language"))
    assert stored == {upper.external_id: "de", lower.external_id: "he"}
    assert Case.objects.get(pk=result.case_ids[upper.external_id]).language == "de"


def test_intake_refuses_a_posting_time_beyond_the_clock_skew():
    ahead = report_input(
        subject__posted_at=timezone.now() + POSTED_AT_MAX_SKEW + timedelta(minutes=1)
    )
    skewed = report_input(subject__posted_at=timezone.now() + timedelta(minutes=2))

    result = reports_ingest(items=[ahead, skewed])

    assert result.rejected_fields == {ahead.external_id: "subject.posted_at"}
    assert "future" in result.rejected[ahead.external_id]
    assert result.created == [skewed.external_id]
    assert Report.objects.get().posted_at == skewed.subject.posted_at


def test_clock_skew_is_a_few_minutes():
    assert timedelta(0) < POSTED_AT_MAX_SKEW <= timedelta(minutes=10)


@pytest.mark.parametrize("guess", ["zxx", "arz", "yue", "iw", "xx"])
def test_a_detected_language_the_eu_database_does_not_list_is_stored_as_unknown(monkeypatch, guess):
    monkeypatch.setattr(intake, "detect_language", lambda text: guess)
    item = report_input(language="", subject__text="Some text long enough to be classified.")

    result = reports_ingest(items=[item])

    report = Report.objects.get()
    assert (report.language, report.language_detected) == ("", False)
    assert Case.objects.get(pk=result.case_ids[item.external_id]).language == ""


class _Identifier:
    def __init__(self, code: str, confidence: float) -> None:
        self.answer = (code, confidence)

    def classify(self, text: str) -> tuple[str, float]:
        return self.answer


@pytest.mark.parametrize(
    ("code", "confidence", "expected"),
    [
        ("de", 0.99, "de"),
        ("de", 0.5, ""),
        ("zxx", 0.99, ""),  # the model's "no linguistic content"
        ("arz", 0.99, ""),  # ISO 639-3 (Egyptian Arabic): not a code the database lists
        ("ace", 0.99, ""),
    ],
)
def test_detect_language_answers_only_codes_the_eu_database_lists(
    monkeypatch, code, confidence, expected
):
    monkeypatch.setattr(language_detection, "_identifier", lambda: _Identifier(code, confidence))

    assert language_detection.detect_language("A text long enough to be classified.") == expected
