"""Deadline reminders at 50/75/90 % and the breach, each exactly once; the deadline state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import tasks
from disclosures.models import DeadlineReminder, LegalRequest
from disclosures.selectors.release import deadline_states, requests_at_risk
from disclosures.services.deadlines import deadline_state, reminders_send
from tests.disclosures.factories import make_request
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 11, 1, tzinfo=UTC)
DEADLINE = RECEIVED + timedelta(hours=240)  # EPOC: 10 days


def at(percent: float) -> datetime:
    return RECEIVED + (DEADLINE - RECEIVED) * percent / 100


def thresholds(legal_request: LegalRequest) -> list[int]:
    return sorted(legal_request.reminders.values_list("threshold", flat=True))


def test_reminders_fire_at_each_threshold_exactly_once(legal):
    request = make_request(created_by=legal, received_at=RECEIVED)
    assert request.deadline_at == DEADLINE

    assert reminders_send(now=at(49.9)) == 0
    assert reminders_send(now=at(50)) == 1
    assert reminders_send(now=at(60)) == 0
    assert reminders_send(now=at(75)) == 1
    assert reminders_send(now=at(75)) == 0
    assert reminders_send(now=at(90)) == 1
    assert reminders_send(now=DEADLINE - timedelta(microseconds=1)) == 0
    assert reminders_send(now=DEADLINE) == 1
    assert reminders_send(now=DEADLINE + timedelta(days=3)) == 0

    assert thresholds(request) == [50, 75, 90, 100]
    reminders = AuditEvent.objects.filter(action="request.deadline_reminder").order_by("id")
    assert [e.data["threshold"] for e in reminders] == [50, 75, 90]
    breach = AuditEvent.objects.get(action="request.deadline_breached")
    assert (breach.target_id, breach.data["threshold"]) == (str(request.pk), 100)


def test_a_late_run_records_every_missed_threshold_once(legal):
    request = make_request(created_by=legal, received_at=RECEIVED)

    assert reminders_send(now=at(95)) == 3
    assert reminders_send(now=at(96)) == 0

    assert thresholds(request) == [50, 75, 90]


def test_emergency_deadline_is_eight_hours(legal):
    request = make_request(created_by=legal, received_at=RECEIVED, emergency=True)
    assert request.deadline_at == RECEIVED + timedelta(hours=8)

    assert reminders_send(now=RECEIVED + timedelta(hours=4)) == 1
    assert reminders_send(now=RECEIVED + timedelta(hours=8)) == 3

    assert thresholds(request) == [50, 75, 90, 100]


def test_requests_no_longer_open_get_no_reminders(legal):
    for status in (
        LegalRequest.Status.RELEASED,
        LegalRequest.Status.REJECTED,
        LegalRequest.Status.WITHDRAWN,
        LegalRequest.Status.CLOSED,
    ):
        make_request(created_by=legal, received_at=RECEIVED, status=status)

    assert reminders_send(now=DEADLINE + timedelta(days=1)) == 0
    assert not DeadlineReminder.objects.exists()


def test_deadline_state(legal):
    request = make_request(created_by=legal, received_at=RECEIVED)
    states = [deadline_state(request, now=at(p)) for p in (10, 50, 80, 90, 99.9, 100, 150)]
    assert states == ["ok", "50", "75", "90", "90", "breached", "breached"]
    request.status = LegalRequest.Status.RELEASED
    assert deadline_state(request, now=at(150)) == "ok"


def test_at_risk_selector_lists_the_most_urgent_first(legal):
    calm = make_request(created_by=legal, received_at=at(-1000))  # far from its deadline
    calm.deadline_at = at(100000)
    calm.save(update_fields=["deadline_at"])
    late = make_request(created_by=legal, received_at=RECEIVED)
    urgent = make_request(created_by=legal, received_at=RECEIVED, emergency=True)

    found = requests_at_risk(now=at(80), at_least="75")

    assert [(r.pk, s) for r, s in found] == [(urgent.pk, "breached"), (late.pk, "75")]
    assert deadline_states([calm, late], now=at(80)) == {calm.pk: "ok", late.pk: "75"}


def test_beat_task_records_reminders(legal):
    make_request(
        created_by=legal,
        received_at=datetime.now(tz=UTC) - timedelta(hours=7, minutes=30),
        emergency=True,
    )

    assert tasks.send_deadline_reminders.apply().get() == 3
    assert tasks.send_deadline_reminders.apply().get() == 0


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_once_remind_once(make_user):
    legal = make_user(Role.LEGAL_OFFICER)
    requests = [make_request(created_by=legal, received_at=RECEIVED) for _ in range(3)]
    results = race(*[lambda: reminders_send(now=DEADLINE)] * 2)
    errors = race_errors(results)

    assert errors == []
    assert DeadlineReminder.objects.count() == 4 * len(requests)
    assert AuditEvent.objects.filter(action="request.deadline_breached").count() == len(requests)
