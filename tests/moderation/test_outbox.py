"""Deliveries to the platform's webhook, against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from moderation.services import claims, decisions
from moderation.tasks import expire_claims, refresh_deadline_priorities
from outbox import services as outbox
from outbox.models import Delivery
from outbox.tasks import deliver
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db


class _Platform(BaseHTTPRequestHandler):
    status = 200
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"headers": dict(self.headers), "body": json.loads(body), "raw": body}
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def platform(settings):
    handler = type("Handler", (_Platform,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PLATFORM_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.PLATFORM_WEBHOOK_SECRET = "hook-secret"
    yield handler
    server.shutdown()


def _decide(moderator, django_capture_on_commit_callbacks):
    case = make_case(reporter_id="r-1")
    claims.case_claim(case_id=case.pk, actor=moderator)
    with django_capture_on_commit_callbacks(execute=True):
        return decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())


def test_decision_deliveries_reach_the_webhook_signed_and_keyed(
    platform, moderator, django_capture_on_commit_callbacks
):
    made = _decide(moderator, django_capture_on_commit_callbacks)

    kinds = sorted(r["body"]["kind"] for r in platform.received)
    assert kinds == ["affected_notice", "enforcement", "reporter_notice"]
    for request in platform.received:
        key = request["headers"]["Idempotency-Key"]
        assert key == request["body"]["idempotency_key"]
        expected = "sha256=" + hmac.new(b"hook-secret", request["raw"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Signature"] == expected
    assert set(Delivery.objects.caused_by(made).values_list("status", flat=True)) == {"sent"}
    enforcement = next(r["body"] for r in platform.received if r["body"]["kind"] == "enforcement")
    assert enforcement["actions"] == ["remove_content"]


def test_sent_delivery_is_not_sent_twice(platform, moderator, django_capture_on_commit_callbacks):
    made = _decide(moderator, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.caused_by(made).first()

    assert deliver.delay(delivery_id=delivery.pk).get() == "sent"
    assert len(platform.received) == 3  # unchanged


def test_failing_webhook_is_retried_by_the_relay_then_marked_failed(
    platform, moderator, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from outbox.relay import relay_all

    platform.status = 500
    monkeypatch.setattr("outbox.services.MAX_DELIVERY_ATTEMPTS", 3)
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    delivery = Delivery.objects.caused_by(made).filter(kind="enforcement").get()
    deliver.apply(kwargs={"delivery_id": delivery.pk})  # the publish after commit
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.RETRYING, 1)
    assert delivery.next_attempt_at > timezone.now()  # backoff: not before its time

    before = len(platform.received)
    relay_all(now=timezone.now())  # nothing is due yet
    assert len(platform.received) == before
    # Eager mode: each relay run publishes the due delivery and the worker runs it at once.
    later = timezone.now()
    for _attempt in range(2):
        later += timedelta(hours=2)
        relay_all(now=later)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3  # the first try and two retries
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at is None
    relay_all(now=later + timedelta(days=1))
    assert len([r for r in platform.received if r["body"]["kind"] == "enforcement"]) == 3


def test_without_a_webhook_deliveries_are_recorded_only(
    moderator, django_capture_on_commit_callbacks, settings
):
    settings.PLATFORM_WEBHOOK_URL = ""

    made = _decide(moderator, django_capture_on_commit_callbacks)

    assert set(Delivery.objects.caused_by(made).values_list("status", flat=True)) == {
        "not_configured"
    }


def test_unreachable_webhook_records_the_error(moderator, settings):
    settings.PLATFORM_WEBHOOK_URL = "http://127.0.0.1:1/hook"
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    delivery = Delivery.objects.caused_by(made).first()

    with pytest.raises(outbox.DeliveryFailed):
        outbox.delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.last_error


def test_periodic_tasks_run(moderator):
    from datetime import timedelta

    from django.utils import timezone

    from moderation.models import Case, Report

    case = make_case(category="terrorism")  # one-hour deadline
    claims.case_claim(case_id=case.pk, actor=moderator)
    Case.objects.filter(pk=case.pk).update(claim_expires_at=timezone.now() - timedelta(minutes=1))
    Report.objects.filter(case=case).update(received_at=timezone.now() - timedelta(hours=2))
    assert expire_claims.delay().get() == 1
    assert refresh_deadline_priorities.delay().get() == 1
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert case.priority_explanation["components"]["deadline"] == 250


def test_stalled_bulk_jobs_are_resumed_by_the_relay(senior):
    from datetime import timedelta

    from django.utils import timezone

    from moderation.models import BulkJob, Case
    from outbox.relay import relay_all
    from tests.moderation.factories import violation as violation_input

    case = make_case()
    job = BulkJob.objects.create(
        created_by=senior,
        case_ids=[case.pk],
        decision_template=violation_input().as_template(),
        total=1,
        status=BulkJob.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )
    assert relay_all()["moderation.bulk_jobs"] == 0  # its worker is alive

    later = timezone.now() + timedelta(seconds=61)  # the heartbeat went stale
    assert relay_all(now=later)["moderation.bulk_jobs"] == 1

    job.refresh_from_db()
    assert job.status == BulkJob.Status.FINISHED
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
