from __future__ import annotations

from celery import shared_task

from accounts import auth_failures, services


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def purge_expired_sessions() -> int:
    return services.sessions_purge_expired()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def flush_auth_failures() -> int:
    """Write each closed window of failed sign-ins as one audit event with its count."""
    written = auth_failures.auth_failures_flush()
    auth_failures.auth_failure_windows_purge()
    return written
