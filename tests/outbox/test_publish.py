"""Publishing never waits on a broken broker, and the relay picks up what was left."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditVerification
from config.celery import app
from moderation.models import BulkJob
from moderation.services import claims
from outbox import publish as publishing
from outbox import relay, services
from outbox.models import Delivery
from outbox.tasks import deliver
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    # Celery reads the broker's URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", CLOSED_PORT)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    publishing.reset_breaker()
    yield
    app.conf.task_always_eager = eager
    publishing.reset_breaker()


def test_a_publish_to_a_dead_broker_fails_fast_and_opens_the_breaker(broker_down, monkeypatch):
    started = time.monotonic()
    assert publishing.publish(deliver, delivery_id=1) is False
    assert time.monotonic() - started < 1.0

    tried = []
    monkeypatch.setattr(app, "connection_for_write", lambda **kw: tried.append(kw))
    assert publishing.publish(deliver, delivery_id=1) is False
    assert tried == []  # the breaker is open: no second connection attempt

    publishing.reset_breaker()
    assert publishing.publish(deliver, delivery_id=1) is False  # the stub is no connection
    assert len(tried) == 1  # but once the breaker closes, publishing is tried again


def test_deciding_with_the_broker_down_answers_at_once_and_keeps_the_deliveries(
    broker_down, moderator, moderator_client
):
    case = make_case(reporter_id="r-1")
    claims.case_claim(case_id=case.pk, actor=moderator)
    data = violation()

    started = time.monotonic()
    response = moderator_client.post(
        reverse("moderation:case_decide", args=[case.pk]),
        {
            "actions": list(data.actions),
            "ground": data.ground,
            "terms_clause": data.terms_clause,
            "dsa_category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "facts": data.facts,
        },
        follow=True,
    )

    assert response.status_code == 200
    assert time.monotonic() - started < 2.0
    assert "3 deliveries to the platform are queued" in response.content.decode()
    waiting = Delivery.objects.filter(status=Delivery.Status.PENDING)
    assert waiting.count() == 3
    assert all(d.next_attempt_at > timezone.now() for d in waiting)  # the grace period


def test_the_relay_hands_over_only_what_is_due_and_retries_it_if_the_broker_refuses(
    broker_down,
):
    now = timezone.now()
    due = Delivery.objects.create(
        kind="enforcement", idempotency_key="due", payload={}, next_attempt_at=now
    )
    Delivery.objects.create(
        kind="enforcement", idempotency_key="later", payload={}, next_attempt_at=now + timedelta(1)
    )

    assert services.deliveries_relay(now) == 0  # the broker refused

    due.refresh_from_db()
    assert due.next_attempt_at == now  # still due at the next run, not a lease later


def test_the_relay_leases_what_it_hands_over(monkeypatch):
    now = timezone.now()
    made = Delivery.objects.create(
        kind="enforcement", idempotency_key="due", payload={}, next_attempt_at=now
    )
    published = []
    monkeypatch.setattr(services, "publish", lambda task, **kw: published.append(kw) or True)

    assert services.deliveries_relay(now) == 1
    assert services.deliveries_relay(now + timedelta(seconds=30)) == 0  # leased

    made.refresh_from_db()
    assert made.next_attempt_at == now + services.ATTEMPT_LEASE
    assert published == [{"delivery_id": made.pk}]


def test_one_failing_relay_spares_the_others(monkeypatch):
    monkeypatch.setitem(relay._RELAYS, "zz.broken", lambda now: 1 / 0)

    handed = relay.relay_all()

    assert handed["zz.broken"] == -1
    assert handed["outbox.deliveries"] == 0
    assert set(relay.registered()) >= {
        "audit.verifications",
        "moderation.bulk_jobs",
        "outbox.deliveries",
    }


def test_a_bulk_job_started_while_the_broker_is_down_waits_for_the_relay(broker_down, make_user):
    from accounts.roles import Role
    from moderation.services import bulk

    senior = make_user(Role.SENIOR_MODERATOR)
    case = make_case()
    job = bulk.bulk_job_start(actor=senior, case_ids=[case.pk], filters=None, decision=violation())
    assert BulkJob.objects.get(pk=job.pk).status == BulkJob.Status.QUEUED

    soon, later = timezone.now(), timezone.now() + timedelta(seconds=31)
    assert bulk.bulk_jobs_relay(soon) == 0  # within its grace period
    assert bulk.bulk_jobs_relay(later) == 0  # due, but the broker refused
    assert BulkJob.objects.get(pk=job.pk).heartbeat_at is None  # so the next run tries again


def test_a_running_verification_with_a_stale_heartbeat_is_handed_out_again(auditor, monkeypatch):
    from audit import verification

    now = timezone.now()
    alive = AuditVerification.objects.create(requested_by=auditor, heartbeat_at=now)
    stale = AuditVerification.objects.create(
        requested_by=auditor, heartbeat_at=now - timedelta(minutes=2)
    )
    AuditVerification.objects.update(started_at=now - timedelta(minutes=5))
    published = []
    monkeypatch.setattr(verification, "publish", lambda task, **kw: published.append(kw) or True)

    assert verification.verifications_relay(now) == 1

    assert published == [{"verification_id": stale.pk}]
    verification.verification_progress(verification_id=alive.pk, percent=40)
    alive.refresh_from_db()
    assert alive.progress == 40
    assert alive.heartbeat_at > now - timedelta(seconds=5)


def test_the_status_page_shows_the_oldest_waiting_delivery(administrator, client_for):
    made = Delivery.objects.create(kind="enforcement", idempotency_key="k", payload={})
    Delivery.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(minutes=7))

    page = client_for(administrator).get(reverse("system_status")).content.decode()

    assert 'data-outbox-waiting="1"' in page
    assert 'data-outbox-oldest="42' in page
