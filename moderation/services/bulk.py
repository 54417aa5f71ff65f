"""
Bulk decisions for report floods: one senior's decision applied to many open cases.

The job is started in one transaction (selection resolved, decision validated, audit event)
and run by a Celery task that decides the cases one by one, each in its own transaction:
every case gets its own decision, statement of reasons and audit event, a case taken by
someone in the meantime is skipped, and one case's failure does not stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

import audit
from audit.models import AuditEvent
from moderation.exceptions import InvalidDecision, InvalidTransition, ModerationError, NotAllowed
from moderation.models import BulkJob, Case, Decision
from moderation.selectors.queue import QueueFilters, apply_filters
from moderation.services.decisions import DecisionInput, case_close, decision_create

BULK_PERMISSION = "moderation.bulk_decide"
ERROR_MESSAGE_LIMIT = 300


class BulkSelectionRefused(ModerationError):
    """The selection cannot become a bulk job: empty, too large, unknown or changed cases."""


class BulkJobFinished(ModerationError):
    message = "This bulk job has finished."


@dataclass(frozen=True)
class BulkSelection:
    """The cases a bulk job would decide, in the order it decides them (most urgent first)."""

    case_ids: list[int]
    not_open: int
    by_filter: bool

    @property
    def count(self) -> int:
        return len(self.case_ids)


def _too_many(count: int, *, by_filter: bool) -> BulkSelectionRefused:
    cap = settings.BULK_MAX_CASES
    if by_filter:
        text = ngettext(
            "%(count)d case matches this filter; a bulk job takes at most %(cap)d. "
            "Narrow the filter.",
            "%(count)d cases match this filter; a bulk job takes at most %(cap)d. "
            "Narrow the filter.",
            count,
        )
    else:
        text = ngettext(
            "%(count)d case is selected; a bulk job takes at most %(cap)d.",
            "%(count)d cases are selected; a bulk job takes at most %(cap)d.",
            count,
        )
    return BulkSelectionRefused(text % {"count": count, "cap": cap})


def bulk_selection_resolve(
    *, case_ids: list[int] | None, filters: QueueFilters | None
) -> BulkSelection:
    """
    Turn chosen ids or a queue filter into the job's case ids, or refuse.

    Nothing is cut silently: a selection over `BULK_MAX_CASES` is refused with its size.
    Chosen cases that are no longer open stay in the selection (the preview says so and
    the job skips them, visibly); a filter must be on open cases, since those are the only
    ones a bulk decision may close.
    """
    if (case_ids is None) == (filters is None):
        raise BulkSelectionRefused(_("Select cases, or all cases matching a filter."))
    cap = settings.BULK_MAX_CASES
    if filters is not None:
        if filters.status != Case.Status.OPEN:
            raise BulkSelectionRefused(
                _("Bulk decisions apply to open cases: set the status filter to “Open”.")
            )
        matching = apply_filters(Case.objects.all(), filters)
        ids = list(matching.order_by("-priority", "id").values_list("pk", flat=True)[: cap + 1])
        if len(ids) > cap:
            raise _too_many(matching.order_by().count(), by_filter=True)
        if not ids:
            raise BulkSelectionRefused(_("No open case matches this filter."))
        return BulkSelection(case_ids=ids, not_open=0, by_filter=True)

    wanted = list(dict.fromkeys(case_ids or ()))
    if not wanted:
        raise BulkSelectionRefused(_("Select at least one case."))
    if len(wanted) > cap:
        raise _too_many(len(wanted), by_filter=False)
    rows = list(
        Case.objects.filter(pk__in=wanted).order_by("-priority", "id").values_list("pk", "status")
    )
    if len(rows) != len(wanted):
        missing = len(wanted) - len(rows)
        raise BulkSelectionRefused(
            ngettext(
                "%(count)d selected case does not exist.",
                "%(count)d selected cases do not exist.",
                missing,
            )
            % {"count": missing}
        )
    not_open = sum(1 for _pk, status in rows if status != Case.Status.OPEN)
    if not_open == len(rows):
        raise BulkSelectionRefused(_("None of the selected cases is open any more."))
    return BulkSelection(case_ids=[pk for pk, _status in rows], not_open=not_open, by_filter=False)


def _queue_run(job_id: int) -> None:
    from moderation.tasks import run_bulk_job

    run_bulk_job.delay(job_id=job_id)


@transaction.atomic(durable=True)
def bulk_job_start(
    *,
    actor: Any,
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
    if job.status == BulkJob.Status.QUEUED:
        job.status = BulkJob.Status.RUNNING
        job.save(update_fields=["status"])
    return list(job.case_ids)


def _skip_recorded(*, job: BulkJob, case: Case) -> bool:
    return AuditEvent.objects.filter(
        action="bulk.case_skipped",
        target_type=Case._meta.label_lower,
        target_id=str(case.pk),
        data__bulk_job=job.pk,
    ).exists()


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
    if not case.can_transition_to(Case.Status.RESOLVED):
        raise InvalidTransition(current=case.status, requested=Case.Status.RESOLVED)
    made = decision_create(
        case=case,
        actor=actor,
        decision=DecisionInput.from_template(job.decision_template),
        origin=Decision.Origin.BULK,
        bulk_job=job,
    )
    case_close(case=case)
    audit.record(
        action="case.decided",
        actor=actor,
        target=case,
        data={
            "decision": made.pk,
            "actions": made.actions,
            "bulk_job": job.pk,
            "statement": getattr(getattr(made, "statement", None), "puid", None),
        },
    )
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
    text = f"{type(error).__name__}: {error}"[:ERROR_MESSAGE_LIMIT]
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
    job.status = BulkJob.Status.FINISHED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
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


# Reads for the bulk screens.


@dataclass(frozen=True)
class BulkOutcomes:
    decided: list[tuple[int, int]]  # (case id, decision id)
    skipped: list[int]
    failed: list[dict[str, Any]]


def bulk_job_outcomes(*, job: BulkJob) -> BulkOutcomes:
    """What happened to each case of a job, in one query (skipped = neither decided nor failed)."""
    decided = list(
        Decision.objects.filter(bulk_job=job).order_by("id").values_list("case_id", "pk")
    )
    failed_ids = {entry.get("case") for entry in job.errors}
    decided_ids = {case_id for case_id, _pk in decided}
    skipped = [
        case_id
        for case_id in job.case_ids
        if case_id not in decided_ids and case_id not in failed_ids
    ]
    return BulkOutcomes(decided=decided, skipped=skipped, failed=list(job.errors))


def bulk_jobs_recent(*, limit: int = 50) -> list[BulkJob]:
    return list(BulkJob.objects.select_related("created_by").order_by("-id")[:limit])


def bulk_preview_rows(*, selection: BulkSelection, limit: int = 50) -> list[Case]:
    """The first cases of a selection, in the job's order, for the confirmation page."""
    shown = selection.case_ids[:limit]
    return list(
        Case.objects.filter(pk__in=shown).select_related("category").order_by("-priority", "id")
    )
