"""
Verification runs of the live trail ("Verify now"): started by an auditor, finished by the
worker. The run's status moves only through `verification_transition`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.models import AuditVerification
from audit.services import record
from core.errors import InvalidTransition
from core.transitions import status_transition

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
        transaction.on_commit(lambda: verify.delay(verification_id=run.pk))
    return run


def verification_progress(*, verification_id: int, percent: int) -> None:
    AuditVerification.objects.filter(pk=verification_id).update(progress=percent)


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
