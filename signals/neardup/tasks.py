"""Celery tasks of signals.neardup (imported by signals.tasks so the worker registers them)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, ignore_result=True)
def group_reports(*, report_ids: list[int]) -> int:
    """Group new reports with their near copies on other cases (idempotent)."""
    from signals.neardup.services import reports_group

    return reports_group(report_ids=report_ids)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, ignore_result=True)
def group_media(*, media_id: int) -> int:
    """Group the reports of media that arrived after them, by image (idempotent)."""
    from signals.neardup.services import media_group

    return media_group(media_id=media_id)
