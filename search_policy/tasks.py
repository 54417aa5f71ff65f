"""Celery tasks of the search policy: thin interfaces that take ids and call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, ignore_result=True)
def tag_reports(*, report_ids: list[int]) -> int:
    """Tag search-result reports whose query hits a blocked term (idempotent)."""
    from search_policy.tagging import reports_tag

    return reports_tag(report_ids=report_ids)


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270, ignore_result=True)
def remove_expired_delistings() -> int:
    """Delistings past their expiry leave the register with a feed change (beat, hourly)."""
    from search_policy.services import entities_expired_remove

    return entities_expired_remove()
