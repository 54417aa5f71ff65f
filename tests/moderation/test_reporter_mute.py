"""Muting reporters who file in bad faith: the service, intake, the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from moderation.exceptions import NotAllowed
from moderation.models import Case, Report, Reporter
from moderation.services.intake import reports_ingest
from moderation.services.reporters import ReporterMuteRefused, reporter_mute, reporter_unmute
from tests.moderation.factories import report_input
from tests.moderation.flood_helpers import about, active_case_of, muted_reporter, send

pytestmark = pytest.mark.django_db


def _reporter(platform_id: str = "rep-x") -> Reporter:
    reports_ingest(items=[report_input(reporter_id=platform_id)])
    return Reporter.objects.get(platform_id=platform_id)


# --- The service -------------------------------------------------------------------------------


def test_a_senior_mutes_a_reporter_with_a_reason_and_it_is_audited(senior):
    reporter = _reporter()

    reporter_mute(reporter_id=reporter.pk, actor=senior, reason="  Files   in bad faith. ")

    reporter.refresh_from_db()
    assert reporter.muted_at is not None
    assert (reporter.muted_by, reporter.mute_reason) == (senior, "Files in bad faith.")
    event = AuditEvent.objects.get(action="reporter.muted")
    assert (event.actor, event.target_id) == (senior, str(reporter.pk))
    assert event.data == {"reason": "Files in bad faith."}


def test_unmute_lifts_the_mute_and_is_audited_with_what_was(senior):
    reporter = muted_reporter("rep-u", senior)

    reporter_unmute(
        reporter_id=reporter.pk, actor=senior, reason="Appealed; was a misunderstanding."
    )

    reporter.refresh_from_db()
    assert (reporter.muted_at, reporter.muted_by, reporter.mute_reason) == (None, None, "")
    event = AuditEvent.objects.get(action="reporter.unmuted")
    assert event.data["reason"] == "Appealed; was a misunderstanding."
    assert event.data["muted_by"] == senior.pk


def test_a_moderator_may_not_mute_and_nothing_changes(moderator):
    reporter = _reporter()

    with pytest.raises(NotAllowed):
        reporter_mute(reporter_id=reporter.pk, actor=moderator, reason="Bad faith.")

    reporter.refresh_from_db()
    assert reporter.muted_at is None
    assert not AuditEvent.objects.filter(action="reporter.muted").exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_a_mute_without_a_usable_reason_is_refused(senior, reason):
    reporter = _reporter()

    with pytest.raises(ReporterMuteRefused):
        reporter_mute(reporter_id=reporter.pk, actor=senior, reason=reason)

    reporter.refresh_from_db()
    assert reporter.muted_at is None
    assert not AuditEvent.objects.filter(action="reporter.muted").exists()


def test_muting_twice_or_unmuting_an_unmuted_reporter_is_refused(senior):
    reporter = muted_reporter("rep-2", senior)
    with pytest.raises(ReporterMuteRefused, match="already muted"):
        reporter_mute(reporter_id=reporter.pk, actor=senior, reason="Again.")
    other = _reporter("rep-3")
    with pytest.raises(ReporterMuteRefused, match="not muted"):
        reporter_unmute(reporter_id=other.pk, actor=senior, reason="Why not.")


def test_muting_an_unknown_reporter_is_refused(senior):
    with pytest.raises(ReporterMuteRefused, match="No such reporter"):
        reporter_mute(reporter_id=999_999, actor=senior, reason="Bad faith.")


# --- Intake ------------------------------------------------------------------------------------


def test_a_muted_reporters_report_about_a_new_subject_is_stored_without_a_case(senior):
    troll = muted_reporter("troll-1", senior)

    result = send("new-subject-1", 1, reporter_id=troll.platform_id)

    [external_id] = result.created
    report = Report.objects.get(external_id=external_id)
    assert (report.case_id, report.held) == (None, "muted_reporter")
    assert external_id not in result.case_ids  # no case to name (see docs/moderation-floods.md)
    assert not Case.objects.filter(subject__platform_id="new-subject-1").exists()
    held = AuditEvent.objects.get(action="reports.held")
    assert held.data == {"held": 1, "cases": {"none": {"muted_reporter": 1}}}


def test_resending_a_caseless_muted_report_is_a_duplicate(senior):
    troll = muted_reporter("troll-r", senior)
    item = about("new-subject-r", external_id="caseless-1", reporter_id=troll.platform_id)
    reports_ingest(items=[item])

    again = reports_ingest(items=[item])

    assert again.duplicates == ["caseless-1"]
    assert again.case_ids == {}


def test_caseless_muted_reports_join_the_case_a_later_report_opens_still_held(senior):
    troll = muted_reporter("troll-2", senior)
    send("new-subject-2", 1, reporter_id=troll.platform_id)

    send("new-subject-2", 1, prefix="honest")

    case = active_case_of("new-subject-2")
    assert case is not None
    held = list(case.reports.order_by("id").values_list("held", flat=True))
    assert held == ["muted_reporter", ""]
    assert (case.report_count, case.reporter_count, case.held_report_count) == (1, 1, 1)
    assert AuditEvent.objects.get(action="reports.unheld").data["attached_without_case"] == 1


def test_a_muted_reporters_report_joins_the_active_case_held(senior):
    send("active-1", 1, prefix="honest")
    troll = muted_reporter("troll-3", senior)

    send("active-1", 1, reporter_id=troll.platform_id)

    case = active_case_of("active-1")
    assert list(case.reports.order_by("id").values_list("held", flat=True)) == [
        "",
        "muted_reporter",
    ]
    assert case.held_report_count == 1


def test_a_muted_reporters_reports_still_count_as_reports(senior):
    troll = muted_reporter("troll-4", senior)
    before = Report.objects.count()

    send("stats-1", 3, reporter_id=troll.platform_id)

    assert Report.objects.count() == before + 3


def test_after_unmute_the_reporter_queues_again(senior):
    troll = muted_reporter("troll-5", senior)
    reporter_unmute(reporter_id=troll.pk, actor=senior, reason="Misunderstanding.")

    send("after-unmute", 1, reporter_id=troll.platform_id)

    assert active_case_of("after-unmute") is not None


# --- Pages -------------------------------------------------------------------------------------


def _report_of(reporter: Reporter) -> Report:
    return reporter.reports.order_by("-id").first()


def test_a_senior_sees_the_reporter_page_with_counts_and_the_mute_form(senior_client, senior):
    reporter = _reporter("rep-page")
    send("page-subject", 1, reporter_id="rep-page")

    response = senior_client.get(reverse("moderation:reporter", args=[_report_of(reporter).pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert reporter.pseudonym in body
    assert "rep-page" not in body  # the platform id stays hidden
    assert "Mute this reporter" in body
    assert response.context["record"].reports == 2


def test_a_moderator_may_not_open_a_reporter_page(moderator_client):
    reporter = _reporter("rep-mod")
    url = reverse("moderation:reporter", args=[_report_of(reporter).pk])

    assert moderator_client.get(url).status_code == 403
    post = moderator_client.post(
        reverse("moderation:reporter_mute", args=[_report_of(reporter).pk]), {"reason": "x"}
    )
    assert post.status_code == 403
    reporter.refresh_from_db()
    assert reporter.muted_at is None


def test_a_report_without_reporter_or_missing_is_404(senior_client):
    reports_ingest(items=[report_input(external_id="anon-1", reporter_id="", source="automated")])
    anonymous = Report.objects.get(external_id="anon-1")

    assert senior_client.get(reverse("moderation:reporter", args=[anonymous.pk])).status_code == 404
    assert senior_client.get(reverse("moderation:reporter", args=[999_999])).status_code == 404


def test_mute_through_the_page_then_unmute(senior_client, senior):
    reporter = _reporter("rep-form")
    report_id = _report_of(reporter).pk

    response = senior_client.post(
        reverse("moderation:reporter_mute", args=[report_id]), {"reason": "Serial false reports."}
    )

    assert response.status_code == 302
    reporter.refresh_from_db()
    assert reporter.mute_reason == "Serial false reports."
    response = senior_client.post(
        reverse("moderation:reporter_unmute", args=[report_id]),
        {"reason": "Cleared up."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "reporter-changed"
    assert "Mute this reporter" in response.content.decode()
    reporter.refresh_from_db()
    assert reporter.muted_at is None


def test_mute_without_reason_through_the_page_shows_the_error_and_changes_nothing(senior_client):
    reporter = _reporter("rep-empty")

    response = senior_client.post(
        reverse("moderation:reporter_mute", args=[_report_of(reporter).pk]),
        {"reason": " "},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "a reason is required" in response.content.decode()
    reporter.refresh_from_db()
    assert reporter.muted_at is None


def test_the_muted_list_shows_muted_reporters_in_constant_queries(
    senior_client, senior, django_assert_num_queries
):
    url = reverse("moderation:reporters_muted")
    muted_reporter("list-1", senior)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        response = senior_client.get(url, headers={"HX-Request": "true"})
    assert Reporter.objects.get(platform_id="list-1").pseudonym in response.content.decode()
    for n in range(10):
        muted_reporter(f"list-more-{n}", senior)
    with django_assert_num_queries(len(few.captured_queries)):
        response = senior_client.get(url, headers={"HX-Request": "true"})
    assert response.content.decode().count("<tr>") == 1 + 11


def test_the_muted_list_refuses_a_bad_cursor_quietly(senior_client):
    response = senior_client.get(reverse("moderation:reporters_muted") + "?after=abc")

    assert response.status_code == 200


def test_the_case_page_links_each_reporter_for_seniors_only(senior_client, moderator_client):
    result = send("case-page-1", 1)
    case = active_case_of("case-page-1")
    report = Report.objects.get(external_id=result.created[0])
    link = reverse("moderation:reporter", args=[report.pk])
    url = reverse("moderation:case", args=[case.pk])

    assert link in senior_client.get(url).content.decode()
    assert link not in moderator_client.get(url).content.decode()
