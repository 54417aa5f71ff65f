"""
Celery tasks of the signals app: thin interfaces that take ids and call one service.

Services are imported inside each task, as in moderation's tasks: the receivers that publish
these tasks load with the app, and the services import moderation's models.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, ignore_result=True)
def match_reports(*, report_ids: list[int]) -> int:
    """Match new reports' media against the hash banks (idempotent: a re-run adds nothing)."""
    from signals.matcher_service import reports_match

    return reports_match(report_ids=report_ids)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, ignore_result=True)
def match_media(*, media_id: int) -> int:
    """Match the reports that reference media which has just arrived."""
    from signals.matcher_service import media_match

    return media_match(media_id=media_id)


# The parts' tasks, so a worker that imports this module registers them all.
from signals.classifier import tasks as _classifier  # noqa: E402,F401
from signals.governance import tasks as _governance  # noqa: E402,F401
from signals.neardup import tasks as _neardup  # noqa: E402,F401
