"""
Verification runs of the live trail ("Verify now"): started by an auditor, finished by the
worker. The run's status moves only through `verification_transition`. The worker writes a
heartbeat with its progress; a run whose heartbeat went stale (a killed worker) or whose task
never reached the broker is published again by the relay (`verifications_relay`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.models import AuditVerification
from audit.services import record
from core.errors import InvalidTransition
from core.transitions import status_transition
from outbox.publish import publish, publish_after_commit

if TYPE_CHECKING:
    from accounts.models import User
    from audit.log import LiveVerification


class VerificationTransitionRefused(InvalidTransition):
    subject = "A verification run"


def verification_transition(
    *, run: AuditVerification, to: str, fields: tuple[str, ...] = ()
) -> str:
    return status_transition(run, to=to, fields=fields, refusal=VerificationTransitionRefused)


def verification_start(*, actor: User) -> AuditVerification:
    """Record the run and queue the worker's check once it commits."""
    from audit.tasks import verify  # the task calls back into this module

    with transaction.atomic():
        run = AuditVerification.objects.create(requested_by=actor)
        record(action="audit.verification_started", actor=actor, target=run)
        publish_after_commit(verify, verification_id=run.pk)
    return run


def verification_progress(*, verification_id: int, percent: int) -> None:
    AuditVerification.objects.filter(pk=verification_id).update(
        progress=percent, heartbeat_at=timezone.now()
    )


# A worker reports progress at least every few seconds on a large trail; a run silent for
# STALLED_AFTER has lost its worker, and one never picked up waits START_GRACE.
STALLED_AFTER = timedelta(seconds=60)
START_GRACE = timedelta(seconds=30)


def verifications_relay(now: datetime) -> int:
    """Publish again the running verifications no worker holds (checking twice is harmless)."""
    from audit.tasks import verify

    with transaction.atomic():
        ids = list(
            AuditVerification.objects.select_for_update(skip_locked=True)
            .filter(status=AuditVerification.Status.RUNNING, started_at__lt=now - START_GRACE)
            .exclude(heartbeat_at__gte=now - STALLED_AFTER)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        AuditVerification.objects.filter(pk__in=ids).update(heartbeat_at=now)
    handed = 0
    for run_id in ids:
        if not publish(verify, verification_id=run_id):
            AuditVerification.objects.filter(pk__in=ids[handed:]).update(heartbeat_at=None)
            break
        handed += 1
    return handed


@transaction.atomic
def verification_finish(*, verification_id: int, result: LiveVerification) -> AuditVerification:
    """Store the outcome; a run already finished (a redelivered task) keeps its first outcome."""
    run = AuditVerification.objects.select_for_update().get(pk=verification_id)
    if run.status != AuditVerification.Status.RUNNING:
        return run
    run.finished_at = timezone.now()
    run.progress = 100
    run.tree_size = result.tree_size
    run.message = result.message[:2000]
    run.first_bad_index = result.first_bad_index
    verification_transition(
        run=run,
        to=AuditVerification.Status.PASSED if result.ok else AuditVerification.Status.FAILED,
        fields=("finished_at", "progress", "tree_size", "message", "first_bad_index"),
    )
    return run
