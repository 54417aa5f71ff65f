from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from moderation.models import Case, CaseSignal, Report, Reporter
from moderation.services import claims, decisions
from moderation.services.intake import reports_ingest
from moderation.services.priority import PriorityInputs, compute_priority
from tests.moderation.factories import make_case, report_input, violation

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _inputs(**overrides):
    fields = dict(
        severity=3,
        reporter_count=1,
        has_trusted_flagger=False,
        has_authority=False,
        reports_resolved=0,
        reports_actioned=0,
        max_signal_score=0,
        opened_at=NOW - timedelta(hours=1),
        deadline_at=NOW + timedelta(hours=23),
    )
    fields.update(overrides)
    return PriorityInputs(**fields)


def test_priority_components_add_up_and_each_factor_raises_it():
    base, parts = compute_priority(_inputs(), now=NOW)
    assert base == sum(parts.values())
    for change in (
        {"severity": 5},
        {"reporter_count": 8},
        {"has_trusted_flagger": True},
        {"has_authority": True},
        {"reports_resolved": 10, "reports_actioned": 10},
        {"max_signal_score": 90},
        {"deadline_at": NOW - timedelta(minutes=1)},
    ):
        assert compute_priority(_inputs(**change), now=NOW)[0] > base, change


def test_inaccurate_reporters_lower_the_priority():
    base, _ = compute_priority(_inputs(), now=NOW)
    noisy, parts = compute_priority(_inputs(reports_resolved=20, reports_actioned=0), now=NOW)
    assert noisy < base
    assert parts["reporter_accuracy"] < 0


def test_deadline_component_grows_as_time_runs_out():
    opened, deadline = NOW - timedelta(hours=10), NOW + timedelta(hours=10)
    scores = [
        compute_priority(
            _inputs(opened_at=opened, deadline_at=deadline), now=NOW + timedelta(hours=h)
        )[1]["deadline"]
        for h in (0, 6, 9, 11)
    ]
    assert scores == sorted(scores)
    assert scores[-1] == 250


def test_new_reports_recompute_the_case():
    first = report_input(category="spam", reporter_id="a")
    reports_ingest(items=[first])
    case = Case.objects.get()
    before = case.priority
    second = report_input(
        category="terrorism",
        source="trusted_flagger",
        reporter_id="b",
        subject__platform_id=first.subject.platform_id,
        subject__author_id=first.subject.author_id,
        signals=[{"kind": "classifier", "name": "tvec", "score": 95}],
    )

    reports_ingest(items=[second])

    case.refresh_from_db()
    assert case.priority > before
    assert case.category.code == "terrorism"  # the most severe category leads
    assert (case.report_count, case.reporter_count, case.max_signal_score) == (2, 2, 95)
    assert case.has_trusted_flagger
    assert case.has_user_notice
    assert case.priority_explanation["components"]["trusted_flagger"] == 150


def test_reporter_track_record_moves_with_outcomes(moderator):
    case = make_case(reporter_id="good-reporter")
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())

    reporter = Reporter.objects.get(platform_id="good-reporter")
    assert (reporter.reports_resolved, reporter.reports_actioned) == (1, 1)
    assert reporter.accuracy_percent == 67


def test_same_external_id_twice_stores_one_report():
    item = report_input()
    first = reports_ingest(items=[item])
    second = reports_ingest(items=[item, item])

    assert Report.objects.count() == 1
    assert second.duplicates == [item.external_id]
    assert second.report_ids[item.external_id] == first.report_ids[item.external_id]


def test_unknown_category_is_rejected_and_others_stored():
    good, bad = report_input(), report_input(category="not-a-category")

    result = reports_ingest(items=[good, bad])

    assert result.created == [good.external_id]
    assert bad.external_id in result.rejected
    assert not Report.objects.filter(external_id=bad.external_id).exists()


def test_resolved_subject_gets_a_new_case():
    case = make_case()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.RESOLVED)
    again = report_input(
        subject__platform_id=case.subject.platform_id,
        subject__author_id=case.subject.author.platform_id,
    )

    result = reports_ingest(items=[again])

    assert result.case_ids[again.external_id] != case.pk


def test_batch_of_500_costs_the_same_queries_as_a_batch_of_5():
    with CaptureQueriesContext(connection) as small:
        reports_ingest(
            items=[
                report_input(signals=[{"kind": "classifier", "name": "m", "score": 50}])
                for _ in range(5)
            ]
        )
    with CaptureQueriesContext(connection) as large:
        reports_ingest(
            items=[
                report_input(signals=[{"kind": "classifier", "name": "m", "score": 50}])
                for _ in range(500)
            ]
        )

    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 30
    assert Report.objects.count() == 505
    assert CaseSignal.objects.count() == 505


def test_intake_is_audited_once_per_batch():
    reports_ingest(items=[report_input() for _ in range(3)], channel="api")

    event = AuditEvent.objects.get(action="reports.received")
    assert event.data["created"] == 3
    assert event.data["channel"] == "api"


def test_language_is_detected_when_the_platform_does_not_give_it():
    given = report_input(
        language="de", subject__text="Fresh stock today, discreet delivery across the city"
    )
    missing = report_input(
        language="", subject__text="سرمایه‌گذاری تضمینی با سود روزانه ۱۰٪، فقط امروز ثبت‌نام کنید"
    )
    short = report_input(language="", subject__text="ok")

    result = reports_ingest(items=[given, missing, short])

    reports = {r.external_id: r for r in Report.objects.all()}
    assert (reports[given.external_id].language, reports[given.external_id].language_detected) == (
        "de",
        False,
    )
    assert (
        reports[missing.external_id].language,
        reports[missing.external_id].language_detected,
    ) == ("fa", True)
    assert reports[short.external_id].language == ""
    assert Case.objects.get(pk=result.case_ids[missing.external_id]).language == "fa"
