"""
Celery tasks of the moderation app: thin interfaces that take ids and call one service.

Services are imported inside each task: services queue these tasks (bulk jobs),
so importing them here at module level would make a cycle.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def expire_claims() -> int:
    from moderation.services import claims

    return claims.claims_expire()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def refresh_deadline_priorities() -> int:
    """Re-score cases whose deadline approaches, so they climb the queue in time."""
    from moderation.services import priority

    return priority.cases_refresh_deadlines()


# Bulk decisions. 500 cases took 10 s on a local PostgreSQL (about 20 queries a case); the
# limits leave room for a slow database and lock waits, and stay under the broker's
# visibility timeout (one hour on Redis), so an acks_late task is not handed to a second
# worker while the first still runs it.
BULK_SOFT_TIME_LIMIT = 15 * 60
BULK_TIME_LIMIT = BULK_SOFT_TIME_LIMIT + 60


@shared_task(
    acks_late=True,
    soft_time_limit=BULK_SOFT_TIME_LIMIT,
    time_limit=BULK_TIME_LIMIT,
    ignore_result=True,
)
def run_bulk_job(*, job_id: int) -> dict[str, int]:
    """Decide a bulk job's cases; a redelivered task decides nothing twice."""
    from celery.exceptions import SoftTimeLimitExceeded

    from moderation.services import bulk

    job = bulk.bulk_job_run(job_id=job_id, interrupts=(SoftTimeLimitExceeded,))
    return {"done": job.done, "skipped": job.skipped, "errors": len(job.errors)}


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3300, ignore_result=True)
def purge_evidence() -> dict[str, int]:
    """
    Purge evidence past its retention (daily). Each chunk commits on its own, so a run cut
    short by the time limit keeps what it did, and the next run carries on from there.
    """
    from dataclasses import asdict

    from moderation.services import retention

    return asdict(retention.evidence_purge())
