"""
Bulk decisions for report floods: one senior's decision applied to many open cases.

The job is started in one transaction (selection resolved, decision validated, audit event)
and run by a Celery task that decides the cases one by one, each in its own transaction:
every case gets its own decision, statement of reasons and audit event, a case taken by
someone in the meantime is skipped, and one case's failure does not stop the others.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import ngettext

import audit
from audit import selectors as audit_selectors
from moderation import tasks
from moderation.exceptions import (
    BulkJobFinished,
    BulkSelectionRefused,
    InvalidDecision,
    ModerationError,
    NotAllowed,
)
from moderation.models import BulkJob, Case, Decision
from moderation.selectors.bulk import bulk_selection_resolve
from moderation.selectors.queue import QueueFilters
from moderation.services.decisions import DecisionInput, case_resolve, decision_create
from moderation.services.workflow import bulk_job_transition, case_transition_check
from outbox.publish import publish

if TYPE_CHECKING:
    from accounts.models import User

BULK_PERMISSION = "moderation.bulk_decide"
ERROR_MESSAGE_LIMIT = 300


def _queue_run(job_id: int) -> bool:
    """Publish the job's run; False when the broker is down (the relay publishes it later)."""
    return publish(tasks.run_bulk_job, job_id=job_id)


@transaction.atomic(durable=True)
def bulk_job_start(
    *,
    actor: User,
    case_ids: list[int] | None,
    filters: QueueFilters | None,
    decision: DecisionInput,
    expected: int | None = None,
) -> BulkJob:
    """
    Create a bulk job for exactly one of chosen ids or a queue filter, and queue its run.

    `expected` is the count the senior saw in the preview: a filter that matches a
    different number of cases by the time they confirm is refused, so a job never decides
    cases nobody looked at. The audit event holds ids, counts and actions, no free text.
    """
    if not actor.has_perm(BULK_PERMISSION):
        raise NotAllowed
    errors = decision.validate()
    if errors:
        raise InvalidDecision(errors)
    selection = bulk_selection_resolve(case_ids=case_ids, filters=filters)
    if expected is not None and expected != selection.count:
        raise BulkSelectionRefused(
            ngettext(
                "The selection changed since the preview: %(count)d case now matches. "
                "Review it and confirm again.",
                "The selection changed since the preview: %(count)d cases now match. "
                "Review them and confirm again.",
                selection.count,
            )
            % {"count": selection.count}
        )
    job = BulkJob.objects.create(
        created_by=actor,
        case_ids=selection.case_ids,
        decision_template=decision.as_template(),
        total=selection.count,
    )
    audit.record(
        action="bulk.started",
        actor=actor,
        target=job,
        data={
            "job": job.pk,
            "count": job.total,
            "actions": list(decision.actions),
            "selection": "filter" if selection.by_filter else "cases",
        },
    )
    transaction.on_commit(partial(_queue_run, job.pk))
    return job


@transaction.atomic(durable=True)
def bulk_job_begin(*, job_id: int) -> list[int]:
    """Mark the job running and return the cases to go through (none once it has finished)."""
    job = BulkJob.objects.select_for_update().get(pk=job_id)
    if job.status == BulkJob.Status.FINISHED:
        return []
    job.heartbeat_at = timezone.now()
    if job.status == BulkJob.Status.QUEUED:
        bulk_job_transition(job=job, to=BulkJob.Status.RUNNING, fields=("heartbeat_at",))
    else:
        job.save(update_fields=["heartbeat_at"])
    return list(job.case_ids)


def _skip_recorded(*, job: BulkJob, case: Case) -> bool:
    skipped = audit_selectors.events_for(case, actions=["bulk.case_skipped"])
    return skipped.filter(data__bulk_job=job.pk).exists()


def _skip_reason(case: Case) -> str:
    if case.status == Case.Status.CLAIMED and case.claimed_by is not None:
        return f"skipped: claimed by {case.claimed_by.get_username()}"
    return f"skipped: {case.status}"


@transaction.atomic(durable=True)
def bulk_job_apply_one(*, job_id: int, case_id: int) -> str:
    """
    Decide one case of the job, or skip it if it is no longer open.

    The case is locked, so a moderator claiming it at the same moment either wins (the
    job skips it) or waits for the decision. A retried task finds the case already decided
    or skipped by this job and changes nothing, counts included.
    """
    job = BulkJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == BulkJob.Status.FINISHED:
        raise BulkJobFinished
    if case_id not in job.case_ids:
        raise ModerationError(f"Case {case_id} is not part of bulk job {job.pk}.")
    # Lock first, then read the joined rows: after waiting for a lock, PostgreSQL re-checks
    # the locked row only, so rows joined in the locking query could predate the wait.
    Case.objects.select_for_update().filter(pk=case_id).values_list("pk").get()
    case = Case.objects.select_related("category", "subject__author", "claimed_by").get(pk=case_id)
    if Decision.objects.filter(case=case, bulk_job=job).exists():
        return "already decided"
    if any(error.get("case") == case.pk for error in job.errors):
        return "already failed"
    if _skip_recorded(job=job, case=case):
        return "already skipped"
    actor = job.created_by
    if case.status != Case.Status.OPEN:
        BulkJob.objects.filter(pk=job.pk).update(skipped=F("skipped") + 1)
        audit.record(
            action="bulk.case_skipped",
            actor=actor,
            target=case,
            data={"bulk_job": job.pk, "status": case.status},
        )
        return _skip_reason(case)
    if not actor.has_perm(BULK_PERMISSION):
        raise NotAllowed
    case_transition_check(case=case, to=Case.Status.RESOLVED)
    made = decision_create(
        case=case,
        actor=actor,
        decision=DecisionInput.from_template(job.decision_template),
        origin=Decision.Origin.BULK,
        bulk_job=job,
    )
    case_resolve(case=case, actor=actor, decision=made, bulk_job=job.pk)
    BulkJob.objects.filter(pk=job.pk).update(done=F("done") + 1)
    return "decided"


@transaction.atomic(durable=True)
def bulk_job_record_error(*, job_id: int, case_id: int, error: BaseException) -> None:
    """Note a case the job could not decide (its own transaction was rolled back)."""
    job = BulkJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
    if job.status == BulkJob.Status.FINISHED or any(
        entry.get("case") == case_id for entry in job.errors
    ):
        return
    if isinstance(error, InvalidDecision):
        # The rule's own words (an action impossible in the case's chat kind, say): the
        # reason per case, not the exception's summary, must fit the limit.
        text = "; ".join(m for messages in error.errors.values() for m in messages)
    else:
        text = f"{type(error).__name__}: {error}"
    text = text[:ERROR_MESSAGE_LIMIT]
    job.errors = [*job.errors, {"case": case_id, "error": text}]
    job.save(update_fields=["errors"])
    audit.record(
        action="bulk.case_failed",
        actor=job.created_by,
        target_type=Case._meta.label_lower,
        target_id=case_id,
        data={"bulk_job": job.pk, "error": type(error).__name__},
    )


@transaction.atomic(durable=True)
def bulk_job_finish(*, job_id: int) -> BulkJob:
    """Close the job with its counts; finishing twice changes nothing."""
    job = BulkJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
    if job.status == BulkJob.Status.FINISHED:
        return job
    job.finished_at = timezone.now()
    bulk_job_transition(job=job, to=BulkJob.Status.FINISHED, fields=("finished_at",))
    audit.record(
        action="bulk.finished",
        actor=job.created_by,
        target=job,
        data={
            "job": job.pk,
            "done": job.done,
            "skipped": job.skipped,
            "errors": len(job.errors),
        },
    )
    return job


def bulk_job_run(*, job_id: int, interrupts: tuple[type[BaseException], ...] = ()) -> BulkJob:
    """
    Decide a job's cases one by one, then close the job.

    Each case is its own transaction: one case's failure is recorded on the job and the
    others go on. Running a job again (a redelivered task) decides nothing twice: cases this
    job already decided, skipped or failed are passed over. `interrupts` are exceptions that
    stop the run instead of being recorded against a case (a worker's time limit).
    """
    beat = timezone.now()
    for case_id in bulk_job_begin(job_id=job_id):
        try:
            bulk_job_apply_one(job_id=job_id, case_id=case_id)
        except interrupts:
            raise
        except Exception as exc:
            bulk_job_record_error(job_id=job_id, case_id=case_id, error=exc)
        if timezone.now() - beat >= HEARTBEAT_EVERY:
            beat = timezone.now()
            BulkJob.objects.filter(pk=job_id).update(heartbeat_at=beat)
    return bulk_job_finish(job_id=job_id)


# A running job's worker writes a heartbeat at least this often; one silent for STALLED_AFTER
# has lost its worker (killed, or past its time limit), and the relay runs the job again.
# A queued job whose run was never published (the broker was down) waits QUEUED_GRACE.
HEARTBEAT_EVERY = timedelta(seconds=5)
STALLED_AFTER = timedelta(seconds=60)
QUEUED_GRACE = timedelta(seconds=30)


def bulk_jobs_relay(now: datetime) -> int:
    """
    Publish again the jobs no worker is running: queued past their grace period, or running
    with a stale heartbeat. Running a job again is safe, since cases it already handled are
    passed over. The heartbeat is set as the job is handed out, so the next relay run waits a
    full STALLED_AFTER for the new worker to show signs of life.
    """
    stale = Q(status=BulkJob.Status.RUNNING) & (
        Q(heartbeat_at__lt=now - STALLED_AFTER) | Q(heartbeat_at__isnull=True)
    )
    waiting = Q(status=BulkJob.Status.QUEUED, created_at__lt=now - QUEUED_GRACE) & (
        Q(heartbeat_at__lt=now - STALLED_AFTER) | Q(heartbeat_at__isnull=True)
    )
    with transaction.atomic():
        ids = list(
            BulkJob.objects.select_for_update(skip_locked=True)
            .filter(stale | waiting)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        BulkJob.objects.filter(pk__in=ids).update(heartbeat_at=now)
    handed = 0
    for job_id in ids:
        if not _queue_run(job_id):  # the broker is down: the next run tries these again
            BulkJob.objects.filter(pk__in=ids[handed:]).update(heartbeat_at=None)
            break
        handed += 1
    return handed
