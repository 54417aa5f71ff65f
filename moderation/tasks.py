"""Celery tasks of the moderation app: thin interfaces over the services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from moderation.services import claims, outbox, priority

MAX_DELIVERY_RETRIES = 8


@shared_task(
    bind=True, acks_late=True, time_limit=60, soft_time_limit=50, max_retries=MAX_DELIVERY_RETRIES
)
def deliver(self, *, delivery_id: int) -> str:  # type: ignore[no-untyped-def]
    try:
        return outbox.delivery_send(delivery_id=delivery_id)
    except outbox.DeliveryFailed as exc:
        if self.request.retries >= MAX_DELIVERY_RETRIES:
            outbox.delivery_give_up(delivery_id=delivery_id)
            return "failed"
        # Exponential backoff: 10 s, 20 s, 40 s ... capped at an hour.
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 3600)) from exc


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def expire_claims() -> int:
    return claims.claims_expire()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def refresh_deadline_priorities() -> int:
    """Re-score cases whose deadline approaches, so they climb the queue in time."""
    from django.db import transaction

    now = timezone.now()
    ids = priority.deadline_sensitive_case_ids(now=now, horizon=timedelta(hours=48))
    done = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        with transaction.atomic():
            from moderation.models import Case

            list(
                Case.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            done += priority.cases_refresh(case_ids=chunk, now=now)
    return done


# Bulk decisions. 500 cases took 10 s on a local PostgreSQL (about 20 queries a case); the
# limits leave room for a slow database and lock waits, and stay under the broker's
# visibility timeout (one hour on Redis), so an acks_late task is not handed to a second
# worker while the first still runs it.
BULK_SOFT_TIME_LIMIT = 15 * 60
BULK_TIME_LIMIT = BULK_SOFT_TIME_LIMIT + 60


@shared_task(acks_late=True, soft_time_limit=BULK_SOFT_TIME_LIMIT, time_limit=BULK_TIME_LIMIT)
def run_bulk_job(*, job_id: int) -> dict[str, int]:
    """
    Decide a bulk job's cases one by one, then close the job.

    Each case is its own transaction: one case's failure is recorded on the job and the
    others go on. Re-running the task (redelivery after a lost worker) decides nothing
    twice: cases this job already decided, skipped or failed are passed over.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    from moderation.services import bulk

    for case_id in bulk.bulk_job_begin(job_id=job_id):
        try:
            bulk.bulk_job_apply_one(job_id=job_id, case_id=case_id)
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:
            bulk.bulk_job_record_error(job_id=job_id, case_id=case_id, error=exc)
    job = bulk.bulk_job_finish(job_id=job_id)
    return {"done": job.done, "skipped": job.skipped, "errors": len(job.errors)}


STALLED_AFTER = timedelta(minutes=30)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def resume_stalled_bulk_jobs() -> int:
    """
    Re-queue bulk jobs left queued or running (a lost worker, a time limit): running a job
    again is safe, since cases it already handled are passed over.
    """
    from moderation.models import BulkJob

    cutoff = timezone.now() - STALLED_AFTER
    ids = list(
        BulkJob.objects.filter(
            status__in=[BulkJob.Status.QUEUED, BulkJob.Status.RUNNING], created_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for job_id in ids:
        run_bulk_job.delay(job_id=job_id)
    return len(ids)
