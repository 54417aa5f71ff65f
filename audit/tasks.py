"""Celery tasks of the audit log: thin interfaces over audit.log."""

from __future__ import annotations

import logging

from celery import shared_task

from audit import log

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def seal() -> int:
    sealed = 0
    while True:
        result = log.seal()
        sealed += result.sealed
        if not result.sealed:
            break
    overdue = log.unsealed_overdue()
    if overdue:
        logger.error("audit log: %d events unsealed past the maximum merge delay", overdue)
    return sealed


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def checkpoint() -> int:
    seal()
    made = log.checkpoint_create()
    return made.tree_size if made else 0


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def verify(*, verification_id: int) -> str:
    from audit import verification

    def progress(percent: int) -> None:
        verification.verification_progress(verification_id=verification_id, percent=percent)

    result = log.verify_live(progress=progress)
    run = verification.verification_finish(verification_id=verification_id, result=result)
    return run.status
