from __future__ import annotations

from celery import shared_task

from accounts import services


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def purge_expired_sessions() -> int:
    return services.sessions_purge_expired()
