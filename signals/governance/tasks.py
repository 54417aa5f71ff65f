"""Celery tasks of signals.governance (imported by signals.tasks so the worker registers them)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, ignore_result=True)
def auto_actions_consider(*, case_ids: list[int]) -> int:
    """Weigh automatic actions on cases that just got signals (idempotent)."""
    from signals.governance.engine import auto_actions_consider as consider

    return consider(case_ids=case_ids)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540, ignore_result=True)
def detector_remode(*, key: str) -> int:
    """Give a detector's signals on active cases its current mode (idempotent: read now)."""
    from moderation.detectors import detector_modes
    from moderation.services.signals import detector_signals_remode

    return detector_signals_remode(detector=key, mode=detector_modes([key])[key])
