"""Reading the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model

from outbox.models import Delivery


def deliveries_about(obj: Model) -> list[Delivery]:
    """Every delivery about one object, oldest first (the case page's table)."""
    return list(Delivery.objects.about(obj).order_by("id"))


def delivery_status_labels(keys: Iterable[str]) -> dict[str, str]:
    """Status label of each delivery by idempotency key; keys never handed over are absent."""
    labels = dict(Delivery.Status.choices)
    rows = Delivery.objects.filter(idempotency_key__in=list(keys)).values_list(
        "idempotency_key", "status"
    )
    return {key: str(labels[status]) for key, status in rows}
