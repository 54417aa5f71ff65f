"""Held reports beyond intake: the detectors after a reopening, track records, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from moderation import events
from moderation.models import Report, Reporter
from moderation.services.decisions import reporter_outcome_record
from moderation.services.retention import evidence_purge
from tests.moderation.flood_helpers import cleared_subject, muted_reporter, send

pytestmark = pytest.mark.django_db


def test_reports_no_longer_held_after_a_reopening_go_to_the_detectors(moderator, settings):
    settings.FLOOD_REOPEN_REPORTERS = 2
    cleared_subject(moderator, "reopen-1")
    held = send("reopen-1", 2, prefix="first")
    held_ids = set(held.report_ids.values())
    received: list[list[int]] = []

    def listen(*, report_ids: list[int], **_: object) -> None:
        received.append(report_ids)

    events.reports_received.connect(listen, dispatch_uid="test-held-reports")
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            send("reopen-1", 1, prefix="third")
    finally:
        events.reports_received.disconnect(dispatch_uid="test-held-reports")

    assert Report.objects.filter(pk__in=held_ids, held="").count() == 2
    assert held_ids <= set(received[-1]), "the reports that stopped being held are sent on"


def test_held_reports_weigh_in_no_reporters_track_record(moderator):
    case = cleared_subject(moderator, "track-1")
    send("track-1", 1, prefix="late")
    late = Reporter.objects.get(platform_id="late-reporter-track-1-0")

    reporter_outcome_record(case=case, actioned=True)

    late.refresh_from_db()
    assert (late.reports_resolved, late.reports_actioned) == (0, 0)


def test_a_caseless_muted_report_is_purged_once_its_retention_has_passed(senior, settings):
    muted_reporter("purge-bad-faith", senior)
    send("caseless-1", 1, reporter_id="purge-bad-faith", subject__text="kept until due")
    report = Report.objects.get(subject__platform_id="caseless-1")
    assert report.case_id is None

    evidence_purge(now=timezone.now() + timedelta(days=settings.APPEAL_WINDOW_DAYS - 1))
    report.refresh_from_db()
    assert report.content_text == "kept until due"
    assert report.evidence_purged_at is None

    evidence_purge(now=timezone.now() + timedelta(days=400))
    report.refresh_from_db()
    assert report.content_text == ""
    assert report.evidence_purged_at is not None


def test_reporters_of_held_reports_are_told_the_decision_in_force_once(moderator):
    from outbox.models import Delivery

    case = cleared_subject(moderator, "notice-1")
    decision = case.decisions.get()
    result = send("notice-1", 2, prefix="late")

    notices = Delivery.objects.filter(kind="reporter_notice", cause_id=str(decision.pk))
    late = {n.payload["recipient"]: n.payload for n in notices if n.payload.get("held")}
    assert sorted(late) == ["late-reporter-notice-1-0", "late-reporter-notice-1-1"]
    assert {p["outcome"] for p in late.values()} == {"no_violation"}
    assert {p["held"] for p in late.values()} == {"cleared_recently"}
    assert not Report.objects.filter(
        pk__in=result.report_ids.values(), outcome_notified_at__isnull=True
    ).exists()

    send("notice-1", 1, prefix="later")
    # The first reporter (told by the decision), the two late ones, one more, once each.
    assert notices.all().count() == 1 + 2 + 1


def test_a_batch_about_new_subjects_sends_no_held_notice():
    from outbox.models import Delivery

    send("fresh-subject", 3)

    assert not Delivery.objects.filter(kind="reporter_notice").exists()
