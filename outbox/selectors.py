"""Reading the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Model, Q
from django.utils import timezone

from outbox.models import Delivery


def deliveries_about(obj: Model) -> list[Delivery]:
    """Every delivery about one object, oldest first (the case page's table)."""
    return list(Delivery.objects.about(obj).order_by("id"))


def deliveries_caused_by_count(obj: Model) -> int:
    return Delivery.objects.caused_by(obj).count()


def delivery_status_labels(keys: Iterable[str]) -> dict[str, str]:
    """Status label of each delivery by idempotency key; keys never handed over are absent."""
    labels = dict(Delivery.Status.choices)
    rows = Delivery.objects.filter(idempotency_key__in=list(keys)).values_list(
        "idempotency_key", "status"
    )
    return {key: str(labels[status]) for key, status in rows}


@dataclass(frozen=True)
class OutboxHealth:
    waiting: int  # pending or retrying: not yet accepted by the platform
    failed: int  # retries spent: needs an operator
    oldest_waiting: timedelta | None

    @property
    def oldest_seconds(self) -> int | None:
        return None if self.oldest_waiting is None else int(self.oldest_waiting.total_seconds())


def outbox_health(*, now: datetime | None = None) -> OutboxHealth:
    """The status page's outbox line, in one query."""
    waiting = Q(status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING])
    # Only the unfinished and failed rows are read (the status index), never the sent ones.
    unsettled = [Delivery.Status.PENDING, Delivery.Status.RETRYING, Delivery.Status.FAILED]
    row = Delivery.objects.filter(status__in=unsettled).aggregate(
        waiting=Count("pk", filter=waiting),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        first=Min("created_at", filter=waiting),
    )
    first = row["first"]
    return OutboxHealth(
        waiting=row["waiting"],
        failed=row["failed"],
        oldest_waiting=None if first is None else (now or timezone.now()) - first,
    )
