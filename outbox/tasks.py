"""The outbox's Celery tasks: thin interfaces that take ids and call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50, ignore_result=True)
def deliver(*, delivery_id: int) -> str:
    """Send one delivery; a failure is scheduled for the relay, not retried here."""
    # Imported here: the service publishes this task, so a module-level import would be a cycle.
    from outbox import services

    try:
        return services.delivery_send(delivery_id=delivery_id)
    except services.DeliveryFailed:
        return "retrying"


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100, ignore_result=True)
def relay() -> dict[str, int]:
    """Hand recorded work that no worker holds to the workers again (beat, and worker start)."""
    from outbox.relay import relay_all

    return relay_all()
