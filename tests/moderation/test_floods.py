"""Report floods: a subject cleared "no violation" stays out of the queue for a while."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from moderation.models import Case, CaseSignal, Report
from moderation.services import claims, decisions
from moderation.services.appeals import appeal_decide
from moderation.services.intake import reports_ingest
from moderation.services.priority import cases_refresh
from tests.moderation.factories import submit_appeal, violation
from tests.moderation.flood_helpers import (
    about,
    active_case_of,
    cleared_subject,
    held_on,
    muted_reporter,
    send,
)
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _flood_settings(settings):
    settings.FLOOD_QUIET_DAYS = 7
    settings.FLOOD_REOPEN_REPORTERS = 5


def test_reports_about_a_recently_cleared_subject_are_held_on_the_cleared_case(moderator):
    cleared = cleared_subject(moderator, "s1", days_ago=3)

    result = send("s1", 3)

    assert active_case_of("s1") is None
    assert set(result.case_ids.values()) == {cleared.pk}
    assert len(result.created) == 3  # the caller hears "created", as for any stored report
    cleared.refresh_from_db()
    assert cleared.status == Case.Status.RESOLVED
    assert cleared.held_report_count == 3
    assert held_on(cleared) == ["", "cleared_recently", "cleared_recently", "cleared_recently"]
    # The decided case keeps its decided counters and priority.
    assert cleared.report_count == 1
    event = AuditEvent.objects.get(action="reports.held")
    assert event.data == {"held": 3, "cases": {str(cleared.pk): {"cleared_recently": 3}}}


def test_reports_after_the_quiet_period_open_a_new_case(moderator):
    cleared = cleared_subject(moderator, "s2", days_ago=8)

    result = send("s2", 1)

    case = active_case_of("s2")
    assert case is not None
    assert case.pk != cleared.pk
    assert set(result.case_ids.values()) == {case.pk}
    assert held_on(case) == [""]


def test_a_more_severe_category_opens_a_new_case_and_the_held_reports_move(moderator):
    cleared = cleared_subject(moderator, "s3")
    send("s3", 2)

    send("s3", 1, prefix="severe", category="harassment")

    case = active_case_of("s3")
    assert case is not None
    assert held_on(case) == ["", "", ""]  # 2 moved in, no longer held, and the new one
    assert case.reporter_count == 3
    assert case.category.code == "harassment"
    cleared.refresh_from_db()
    assert cleared.held_report_count == 0
    event = AuditEvent.objects.get(action="reports.unheld")
    assert event.data["moved"] == 2
    assert event.data["reopened"] == [
        {"from_case": cleared.pk, "to_case": case.pk, "why": "more_severe_category"}
    ]


def test_the_same_or_a_milder_category_stays_held(moderator):
    cleared = cleared_subject(moderator, "s3b")

    send("s3b", 1, category="spam")

    assert active_case_of("s3b") is None
    assert held_on(cleared)[-1] == "cleared_recently"


@pytest.mark.parametrize("source", ["trusted_flagger", "authority"])
def test_a_trusted_flagger_or_an_authority_opens_a_new_case(moderator, source):
    cleared_subject(moderator, f"s4-{source}")

    send(f"s4-{source}", 1, source=source, flagger_name="Hotline")

    case = active_case_of(f"s4-{source}")
    assert case is not None
    assert held_on(case) == [""]


def test_more_than_k_distinct_new_reporters_open_a_new_case_with_every_held_report(moderator):
    cleared = cleared_subject(moderator, "s5")
    send("s5", 3, prefix="a")
    send("s5", 2, prefix="b")  # 5 distinct reporters held: not more than K = 5
    assert active_case_of("s5") is None

    result = send("s5", 1, prefix="c")  # the 6th

    case = active_case_of("s5")
    assert case is not None
    assert set(result.case_ids.values()) == {case.pk}
    assert held_on(case) == [""] * 6
    assert case.reporter_count == 6
    assert case.report_count == 6
    cleared.refresh_from_db()
    assert cleared.held_report_count == 0
    assert held_on(cleared) == [""]  # only the report that was decided


def test_the_same_reporter_again_and_again_does_not_reach_k(moderator):
    cleared_subject(moderator, "s5b")

    send("s5b", 1, reporter_id="same-one")
    for n in range(8):
        send("s5b", 1, reporter_id="same-one", prefix=f"again{n}")

    assert active_case_of("s5b") is None


def test_muted_reporters_do_not_count_toward_k(moderator, senior):
    cleared = cleared_subject(moderator, "s6")
    for n in range(4):
        muted_reporter(f"troll-{n}", senior)
    send("s6", 5, prefix="honest")

    for n in range(4):
        send("s6", 1, reporter_id=f"troll-{n}")

    assert active_case_of("s6") is None
    cleared.refresh_from_db()
    assert cleared.held_report_count == 9
    assert sorted(set(held_on(cleared)[1:])) == ["cleared_recently", "muted_reporter"]


def test_a_decision_modified_on_appeal_ends_the_quiet_period(moderator, senior):
    cleared = cleared_subject(moderator, "s7")
    send("s7", 1)
    decision = cleared.decisions.get()
    appeal = submit_appeal(decision)
    appeal_decide(
        appeal_id=appeal.pk,
        actor=senior,
        outcome="modified",
        note="It was spam.",
        new_decision=violation(),
    )

    send("s7", 1, prefix="after-appeal")

    assert active_case_of("s7") is not None


def test_resending_a_held_report_is_a_duplicate_on_the_cleared_case(moderator):
    cleared = cleared_subject(moderator, "s8")
    item = about("s8", external_id="held-once", reporter_id="r-held")
    reports_ingest(items=[item])

    again = reports_ingest(items=[item])

    assert again.duplicates == ["held-once"]
    assert again.case_ids == {"held-once": cleared.pk}
    assert Report.objects.filter(external_id="held-once").count() == 1
    cleared.refresh_from_db()
    assert cleared.held_report_count == 1


def test_a_held_report_brings_no_signal(moderator):
    cleared = cleared_subject(moderator, "s9")

    send("s9", 1, signals=[{"kind": "classifier", "name": "spamnet", "score": 99}])

    assert not CaseSignal.objects.filter(case=cleared, report__held="cleared_recently").exists()


def test_a_batch_costs_the_same_queries_with_1_or_50_held_reports(moderator):
    cleared_subject(moderator, "q1")
    cleared_subject(moderator, "q2")
    settings_k = 1000  # stay held whatever the number of reporters
    from django.conf import settings

    settings.FLOOD_REOPEN_REPORTERS = settings_k
    with CaptureQueriesContext(connection) as one:
        send("q1", 1)
    with CaptureQueriesContext(connection) as fifty:
        send("q2", 50)

    assert len(fifty.captured_queries) == len(one.captured_queries)


def test_a_reopening_batch_costs_the_same_queries_however_many_reports_move(moderator):
    cleared_subject(moderator, "m1")
    cleared_subject(moderator, "m2")
    send("m1", 1)
    send("m2", 5)
    with CaptureQueriesContext(connection) as one:
        send("m1", 1, prefix="tf", source="trusted_flagger")
    with CaptureQueriesContext(connection) as five:
        send("m2", 1, prefix="tf", source="trusted_flagger")

    assert len(five.captured_queries) == len(one.captured_queries)
    assert active_case_of("m2").report_count == 6


def test_priority_ignores_held_reports(moderator, senior):
    troll = muted_reporter("troll-p", senior)
    plain = reports_ingest(items=[about("p1", reporter_id="honest-p")])
    case = Case.objects.get(pk=plain.case_ids[next(iter(plain.case_ids))])
    before = (case.priority, case.reporter_count, case.category_id, case.has_authority)

    send("p1", 1, reporter_id=troll.platform_id, category="terrorism", source="authority")

    case.refresh_from_db()
    assert (case.priority, case.reporter_count, case.category_id, case.has_authority) == before
    assert case.held_report_count == 1
    assert case.report_count == 1
    cases_refresh(case_ids=[case.pk])
    case.refresh_from_db()
    assert case.reporter_count == 1
    assert case.held_report_count == 1


def test_priority_does_not_count_a_held_reporters_track_record(moderator, senior):
    troll = muted_reporter("troll-t", senior)
    type(troll).objects.filter(pk=troll.pk).update(reports_resolved=50, reports_actioned=50)
    result = reports_ingest(items=[about("p2", reporter_id="honest-t")])
    case = Case.objects.get(pk=next(iter(result.case_ids.values())))
    before = case.priority_explanation["components"]["reporter_accuracy"]

    send("p2", 1, reporter_id="troll-t")

    case.refresh_from_db()
    assert case.priority_explanation["components"]["reporter_accuracy"] == before


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_about_one_cleared_subject_reopen_it_together(moderator):
    cleared = cleared_subject(moderator, "race-1")

    results = race(lambda: send("race-1", 3, prefix="x"), lambda: send("race-1", 3, prefix="y"))

    assert race_errors(results) == []
    case = active_case_of("race-1")
    assert case is not None, "6 distinct reporters (> K) arrived, one batch or two"
    assert Case.objects.filter(subject__platform_id="race-1").count() == 2
    assert Report.objects.filter(case=case, held="").count() == 6
    cleared.refresh_from_db()
    assert cleared.held_report_count == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_small_batches_at_once_both_stay_held(moderator):
    cleared = cleared_subject(moderator, "race-2")

    results = race(lambda: send("race-2", 2, prefix="x"), lambda: send("race-2", 2, prefix="y"))

    assert race_errors(results) == []
    assert active_case_of("race-2") is None
    cleared.refresh_from_db()
    assert cleared.held_report_count == 4


def test_a_case_decided_with_a_violation_is_not_a_quiet_period(moderator):
    result = reports_ingest(items=[about("v1")])
    case_id = next(iter(result.case_ids.values()))
    claims.case_claim(case_id=case_id, actor=moderator)
    decisions.case_decide(case_id=case_id, actor=moderator, decision=violation())

    send("v1", 1)

    assert active_case_of("v1") is not None


def test_the_cleared_case_page_says_how_many_reports_are_held_and_why(moderator, client_for):
    from django.urls import reverse

    cleared = cleared_subject(moderator, "page-1")
    send("page-1", 3)

    body = client_for(moderator).get(reverse("moderation:case", args=[cleared.pk])).content.decode()

    assert "3 reports held since cleared" in body
    assert body.count("Held: subject cleared recently") == 3
