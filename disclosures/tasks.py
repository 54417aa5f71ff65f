"""Celery tasks of the disclosures app: thin, idempotent interfaces over the services."""

from __future__ import annotations

from celery import shared_task

from disclosures.services import deadlines, notices, release


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
