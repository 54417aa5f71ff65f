"""
Nothing is lost when a part fails (issue 13), against real PostgreSQL, Redis and workers:

- with the broker on a closed port, deciding a case, starting a bulk job, "Verify now" and a
  release answer at normal speed, and say the work is queued;
- once the broker is back, a real worker and the relay deliver every delivery exactly once to a
  real HTTP receiver, and finish the bulk job and the verification;
- a bulk job whose whole worker is killed mid-run is resumed by the relay and finishes with
  every case decided once.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.log import seal_and_checkpoint
from audit.models import AuditVerification
from config.celery import app
from moderation.models import BulkJob, Case, Decision
from moderation.services import bulk, claims
from outbox.models import Delivery
from outbox.publish import breaker_open, reset_breaker
from outbox.relay import relay_all
from tests.disclosures.helpers import built, fresh
from tests.moderation.factories import make_case, violation
from tests.utils import requires_postgres
from tests.workers import celery_worker, new_queue

BROKER = os.environ.get("CELERY_BROKER_URL") or ""
CLOSED_PORT = "redis://127.0.0.1:1/0"
FAST = 2.0  # seconds: an answer that did not wait for the broker (it took 19 s before)

pytestmark = [
    pytest.mark.celery_worker,
    requires_postgres,
    pytest.mark.skipif(
        not BROKER.startswith("redis://"),
        reason="needs a real Redis broker (set CELERY_BROKER_URL=redis://...; CI does)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def real_broker(monkeypatch) -> Iterator[Callable[[str], None]]:
    """Tasks go through a broker for real; the returned function points publishing elsewhere."""
    saved = {k: app.conf[k] for k in ("task_always_eager", "task_default_queue")}
    app.conf.task_always_eager = False

    def point(url: str) -> None:
        # Celery reads the broker's URL from the environment before its own settings.
        monkeypatch.setenv("CELERY_BROKER_WRITE_URL", url)
        reset_breaker()

    try:
        yield point
    finally:
        for key, value in saved.items():
            app.conf[key] = value
        reset_breaker()


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _wait_for(done: Callable[[], bool], *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.25)
    raise AssertionError(f"not done within {seconds} s")


def test_an_outage_costs_no_answer_and_loses_nothing(
    platform, real_broker, make_user, client_for, settings, tmp_path
):
    url, received = platform
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    moderator = make_user(Role.MODERATOR)
    senior = make_user(Role.SENIOR_MODERATOR)
    auditor = make_user(Role.AUDITOR)
    legal = make_user(Role.LEGAL_OFFICER)
    approver = make_user(Role.LEGAL_APPROVER)
    case = make_case(reporter_id="r-1")
    bulk_cases = [make_case() for _ in range(3)]
    legal_request, _package = built(legal, approver)
    claims.case_claim(case_id=case.pk, actor=moderator)
    seal_and_checkpoint()  # a signed checkpoint for "Verify now" to check

    real_broker(CLOSED_PORT)  # the broker goes away
    decided, took = _timed(
        lambda: client_for(moderator).post(
            reverse("moderation:case_decide", args=[case.pk]),
            {
                "actions": ["remove_content"],
                "ground": "terms",
                "terms_clause": "Terms §7.2",
                "dsa_category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                "facts": "Phishing link.",
            },
            follow=True,
        )
    )
    assert (decided.status_code, took < FAST) == (200, True), took
    assert breaker_open()  # the publish really failed: the broker was unreachable
    assert "3 deliveries to the platform are queued" in decided.content.decode()

    started, took = _timed(
        lambda: client_for(senior).post(
            reverse("moderation:bulk_new"),
            {
                "case": [c.pk for c in bulk_cases],
                "expected": "3",
                "actions": ["remove_content"],
                "ground": "terms",
                "terms_clause": "Terms of Service §7.2 (spam)",
                "facts": "Unsolicited bulk advertising.",
                "dsa_category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
            },
        )
    )
    assert (started.status_code, took < FAST) == (302, True), took

    verified, took = _timed(lambda: client_for(auditor).post(reverse("audit:verify_now")))
    assert (verified.status_code, took < FAST) == (302, True), took

    released, took = _timed(
        lambda: fresh(client_for(legal)).post(
            reverse("disclosures:package_release", args=[legal_request.pk]),
            {"release-confirm": "on"},
        )
    )
    assert (released.status_code, took < FAST) == (302, True), took

    # Everything was recorded, nothing reached a worker.
    legal_request.refresh_from_db()
    assert legal_request.status == legal_request.Status.RELEASED
    assert Delivery.objects.caused_by(Decision.objects.get(case=case)).count() == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    assert BulkJob.objects.get().status == BulkJob.Status.QUEUED
    assert AuditVerification.objects.get().status == AuditVerification.Status.RUNNING

    queue = new_queue()
    real_broker(BROKER)  # the broker is back
    app.conf.task_default_queue = queue
    with celery_worker(queue, env={"PLATFORM_WEBHOOK_URL": url}):
        handed = relay_all(now=timezone.now() + timedelta(seconds=31))  # past the grace
        assert handed["moderation.bulk_jobs"] == 1
        assert handed["audit.verifications"] == 1
        _wait_for(lambda: BulkJob.objects.get().status == BulkJob.Status.FINISHED)
        relay_all(now=timezone.now() + timedelta(seconds=31))  # the bulk job's deliveries
        _wait_for(
            lambda: (
                not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()
                and AuditVerification.objects.get().status != AuditVerification.Status.RUNNING
            )
        )
        # Later relay runs find nothing to hand out: nothing is sent twice.
        assert relay_all(now=timezone.now() + timedelta(hours=2))["outbox.deliveries"] == 0
        time.sleep(1)

    with received.lock:
        counts = Counter(body["idempotency_key"] for body in received.received)
    every = set(Delivery.objects.values_list("idempotency_key", flat=True))
    assert set(counts) == every
    assert set(counts.values()) == {1}, counts.most_common(3)
    run = AuditVerification.objects.get()
    assert run.status == AuditVerification.Status.PASSED, run.message
    assert Case.objects.filter(pk__in=[c.pk for c in bulk_cases], status="resolved").count() == 3


def test_a_bulk_job_whose_worker_is_killed_is_resumed_and_decides_each_case_once(
    real_broker, make_user
):
    senior = make_user(Role.SENIOR_MODERATOR)
    cases = [make_case() for _ in range(200)]
    ids = [c.pk for c in cases]
    queue = new_queue()
    real_broker(BROKER)
    app.conf.task_default_queue = queue

    with celery_worker(queue) as first:
        job = bulk.bulk_job_start(actor=senior, case_ids=ids, filters=None, decision=violation())
        _wait_for(lambda: BulkJob.objects.get(pk=job.pk).done >= 10)
        first.kill()  # the whole worker, mid-job
    job.refresh_from_db()
    assert job.status == BulkJob.Status.RUNNING
    assert 10 <= job.done < job.total, job.done

    with celery_worker(queue):
        restarted = time.monotonic()
        # A minute later its heartbeat is stale: the relay hands the job to the new worker.
        assert relay_all(now=timezone.now() + timedelta(seconds=61))["moderation.bulk_jobs"] == 1
        _wait_for(lambda: BulkJob.objects.get(pk=job.pk).status == BulkJob.Status.FINISHED)
        assert time.monotonic() - restarted < 60

    job.refresh_from_db()
    assert (job.done, job.skipped, job.errors) == (200, 0, [])
    per_case = Counter(Decision.objects.filter(case_id__in=ids).values_list("case_id", flat=True))
    assert set(per_case) == set(ids)
    assert set(per_case.values()) == {1}
