"""Celery tasks of the disclosures app: thin, idempotent interfaces over the services."""

from __future__ import annotations

from celery import shared_task

from disclosures.services import (
    deadlines,
    notices,
    preservation_sweep,
    release,
    retention,
)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def purge_packages() -> int:
    """Delete release packages past their retention (daily)."""
    return release.packages_purge()


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def send_due_notices() -> int:
    """Send deferred user notices whose order expired or whose emergency request closed."""
    return notices.notices_send_due()


@shared_task(acks_late=True, time_limit=240, soft_time_limit=200)
def send_deadline_reminders() -> int:
    """Record the 50/75/90 % reminders and breaches of open requests (every 5 minutes)."""
    return deadlines.reminders_send()


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def sweep_preservation_holds() -> dict[str, int]:
    """End preservation holds past their expiry and remind of those expiring soon (hourly)."""
    return preservation_sweep.holds_sweep()


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def purge_subscriber_ips() -> dict[str, int]:
    """Delete subscriber IP records past retention, except those on hold (daily)."""
    summary = retention.subscriber_ips_purge()
    return {"deleted": summary.deleted, "kept_on_hold": summary.kept_on_hold}
