"""Reports arriving at the same moment (PostgreSQL: SQLite serialises all writers anyway)."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.token_services import api_token_issue
from audit.models import AuditEvent
from moderation.models import Case, CaseSignal, Report, Subject
from tests.api.conftest import REPORTS_URL, ApiClient
from tests.api.payloads import report_json
from tests.utils import race, race_errors, requires_postgres

THREADS = 6


def post_at_once(bodies: list[dict[str, Any]]) -> list[Any]:
    """POST each body from its own thread, all released by one barrier; the responses."""
    _, secret = api_token_issue(name="platform-concurrency", scopes=["reports"])
    clients = [ApiClient(secret) for _ in bodies]
    responses = race(
        *[lambda c=c, b=b: c.post(REPORTS_URL, b) for c, b in zip(clients, bodies, strict=True)]
    )
    errors = race_errors(responses)
    assert errors == []
    return responses


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_reports_about_one_new_subject_at_once_make_one_case():
    subject = {"subject__platform_id": "race-msg-1", "subject__author_id": "race-author-1"}
    bodies = [report_json(reporter_id=f"race-reporter-{i}", **subject) for i in range(THREADS)]

    responses = post_at_once(bodies)

    assert [r.status_code for r in responses] == [201] * THREADS
    assert Subject.objects.filter(platform_id="race-msg-1").count() == 1
    case = Case.objects.get(subject__platform_id="race-msg-1")
    assert {r.json()["case_id"] for r in responses} == {case.pk}
    assert Report.objects.filter(case=case).count() == THREADS
    case.refresh_from_db()
    assert (case.report_count, case.reporter_count) == (THREADS, THREADS)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_report_sent_several_times_at_once_is_stored_once():
    signals = [{"kind": "classifier", "name": "spam-v3", "label": "spam", "score": 0.91}]
    body = report_json(external_id="race-report-1", signals=signals)

    responses = post_at_once([body] * THREADS)

    assert sorted(r.status_code for r in responses) == [200] * (THREADS - 1) + [201]
    assert sorted(r.json()["status"] for r in responses) == ["created"] + ["duplicate"] * (
        THREADS - 1
    )
    report = Report.objects.get(external_id="race-report-1")
    assert {r.json()["id"] for r in responses} == {report.pk}
    assert Case.objects.count() == 1
    # The one report's signals were attached once, by the batch that stored it.
    assert CaseSignal.objects.filter(report=report).count() == 1
    received = AuditEvent.objects.filter(action="reports.received")
    assert sum(event.data["created"] for event in received) == 1
