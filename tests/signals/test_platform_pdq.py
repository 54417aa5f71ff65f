"""PDQ hashes the platform sends for media it keeps itself: validated at the API, matched."""

from __future__ import annotations

import pytest

from moderation.models import Case, CaseSignal, Report
from moderation.services.intake import reports_ingest
from signals import matching
from signals.matcher_service import reports_match
from tests.moderation.factories import report_input
from tests.signals.helpers import bank, banked

pytestmark = pytest.mark.django_db

BANKED = "f" * 32 + "0" * 32
NEAR = "f" * 32 + "0" * 31 + "f"  # 4 bits away from BANKED
FAR = "0" * 32 + "f" * 32


@pytest.fixture(autouse=True)
def fresh_index():
    matching.index_reset()
    yield
    matching.index_reset()


def _report(pdq: str, quality: int | None = None) -> Report:
    result = reports_ingest(
        items=[report_input(subject__media_pdq=pdq, subject__media_pdq_quality=quality)]
    )
    return Report.objects.get(pk=next(iter(result.report_ids.values())))


def test_a_platform_pdq_near_a_banked_hash_matches_without_any_media_here():
    known = bank("KNOWN_SCAMS")
    banked(known, "pdq", BANKED)
    report = _report(NEAR, quality=90)
    before = Case.objects.get(pk=report.case_id).priority

    assert reports_match(report_ids=[report.pk]) == 1

    signal = CaseSignal.objects.get(report=report)
    assert (signal.kind, signal.name, signal.detector) == (
        "hash_match",
        "KNOWN_SCAMS",
        "bank:KNOWN_SCAMS",
    )
    assert signal.details["distance"] == 4
    assert Case.objects.get(pk=report.case_id).priority > before


def test_a_platform_pdq_far_from_every_banked_hash_does_not_match():
    banked(bank("KNOWN_SCAMS"), "pdq", BANKED)
    report = _report(FAR)

    assert reports_match(report_ids=[report.pk]) == 0


def test_a_platform_pdq_of_low_quality_is_stored_but_not_matched():
    banked(bank("KNOWN_SCAMS"), "pdq", BANKED)
    report = _report(BANKED, quality=20)

    assert report.media_pdq == BANKED
    assert reports_match(report_ids=[report.pk]) == 0
