"""Celery tasks of the moderation app: thin interfaces over the services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from moderation.services import claims, outbox, priority

MAX_DELIVERY_RETRIES = 8


@shared_task(bind=True, acks_late=True, time_limit=60, max_retries=MAX_DELIVERY_RETRIES)
def deliver(self, *, delivery_id: int) -> str:  # type: ignore[no-untyped-def]
    try:
        return outbox.delivery_send(delivery_id=delivery_id)
    except outbox.DeliveryFailed as exc:
        if self.request.retries >= MAX_DELIVERY_RETRIES:
            outbox.delivery_give_up(delivery_id=delivery_id)
            return "failed"
        # Exponential backoff: 10 s, 20 s, 40 s ... capped at an hour.
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 3600)) from exc


@shared_task(acks_late=True, time_limit=300)
def expire_claims() -> int:
    return claims.claims_expire()


@shared_task(acks_late=True, time_limit=600)
def refresh_deadline_priorities() -> int:
    """Re-score cases whose deadline approaches, so they climb the queue in time."""
    from django.db import transaction

    now = timezone.now()
    ids = priority.deadline_sensitive_case_ids(now=now, horizon=timedelta(hours=48))
    done = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        with transaction.atomic():
            from moderation.models import Case

            list(
                Case.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            done += priority.cases_refresh(case_ids=chunk, now=now)
    return done
