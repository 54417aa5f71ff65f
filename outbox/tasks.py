"""The outbox's Celery task: a thin interface that takes an id and calls the service."""

from __future__ import annotations

from celery import shared_task

MAX_DELIVERY_RETRIES = 8


@shared_task(
    bind=True, acks_late=True, time_limit=60, soft_time_limit=50, max_retries=MAX_DELIVERY_RETRIES
)
def deliver(self, *, delivery_id: int) -> str:
    # Imported here: the service queues this task, so a module-level import would be a cycle.
    from outbox import services

    try:
        return services.delivery_send(delivery_id=delivery_id)
    except services.DeliveryFailed as exc:
        if self.request.retries >= MAX_DELIVERY_RETRIES:
            services.delivery_give_up(delivery_id=delivery_id)
            return "failed"
        # Exponential backoff: 10 s, 20 s, 40 s ... capped at an hour.
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 3600)) from exc
