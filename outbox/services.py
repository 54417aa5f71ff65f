"""
Writing to the outbox and sending what it holds.

`delivery_enqueue` (one) and `deliveries_enqueue` (many, one INSERT) write the rows in the
caller's transaction and queue the send after commit, so a rolled-back change owes nothing and
a committed one is never forgotten. `delivery_send` POSTs one delivery to the platform's
webhook, signed and keyed; every status change goes through `delivery_transition`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.errors import InvalidTransition
from core.transitions import status_transition
from outbox import kinds, tasks
from outbox.models import Delivery

WEBHOOK_TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The platform did not accept the delivery; the task retries it."""


class DeliveryTransitionRefused(InvalidTransition):
    subject = "A delivery"


@dataclass(frozen=True)
class Outgoing:
    """One message to enqueue: what it is, its idempotency key, its body, and what it is about."""

    kind: str
    key: str
    payload: dict[str, Any]
    topic: models.Model | None = None
    cause: models.Model | None = None

    def as_row(self) -> Delivery:
        kinds.require(self.kind)
        return Delivery(
            kind=self.kind,
            idempotency_key=self.key,
            payload=self.payload,
            **_reference("topic", self.topic),
            **_reference("cause", self.cause),
        )


def _reference(prefix: str, obj: models.Model | None) -> dict[str, str]:
    if obj is None:
        return {}
    return {f"{prefix}_type": obj._meta.label_lower, f"{prefix}_id": str(obj.pk)}


def _send_after_commit(deliveries: Iterable[Delivery]) -> None:
    ids = [d.pk for d in deliveries]

    def send() -> None:
        for pk in ids:
            tasks.deliver.delay(delivery_id=pk)

    transaction.on_commit(send)


def deliveries_enqueue(items: Iterable[Outgoing]) -> list[Delivery]:
    """Write the deliveries in the caller's transaction (one INSERT); send them after commit."""
    rows = [item.as_row() for item in items]
    created = Delivery.objects.bulk_create(rows)
    _send_after_commit(created)
    return created


def delivery_enqueue(
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    topic: models.Model | None = None,
    cause: models.Model | None = None,
) -> Delivery:
    """One delivery, written now and sent after commit."""
    (made,) = deliveries_enqueue(
        [Outgoing(kind=kind, key=key, payload=payload, topic=topic, cause=cause)]
    )
    return made


def delivery_transition(*, delivery: Delivery, to: str, fields: tuple[str, ...] = ()) -> str:
    """The one way a delivery's status changes (on a row locked by the caller)."""
    return status_transition(delivery, to=to, fields=fields, refusal=DeliveryTransitionRefused)


def _signature(body: bytes) -> str:
    secret = settings.PLATFORM_WEBHOOK_SECRET.encode()
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _post(url: str, delivery: Delivery) -> str:
    """POST the delivery; return "" when the platform accepted it, else the error."""
    body = json.dumps(
        {"kind": delivery.kind, "idempotency_key": delivery.idempotency_key, **delivery.payload},
        sort_keys=True,
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is operator configuration
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": delivery.idempotency_key,
            "X-Signature": _signature(body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return "" if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return type(exc).__name__


def delivery_send(*, delivery_id: int) -> str:
    """
    POST one delivery to the platform's webhook; idempotent (a delivery in a final state is not
    sent again).

    Without a webhook the delivery is marked as recorded only. A failure is stored and
    re-raised as DeliveryFailed so the task retries with backoff.
    """
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in Delivery.FINAL:
            return delivery.status
        url = settings.PLATFORM_WEBHOOK_URL
        if not url:
            delivery_transition(delivery=delivery, to=Delivery.Status.NOT_CONFIGURED)
            return delivery.status
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    # The HTTP call runs outside the transaction: no row lock is held while the platform answers.
    error = _post(url, delivery)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in Delivery.FINAL:  # another worker finished it meanwhile
            return delivery.status
        delivery.last_error = error[:500]
        delivery.sent_at = None if error else timezone.now()
        to = Delivery.Status.RETRYING if error else Delivery.Status.SENT
        delivery_transition(delivery=delivery, to=to, fields=("last_error", "sent_at"))
    if error:
        raise DeliveryFailed(error)
    return Delivery.Status.SENT


@transaction.atomic
def delivery_give_up(*, delivery_id: int) -> None:
    """Mark a delivery failed once its retries are spent (a sent one stays sent)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.status not in Delivery.FINAL:
        delivery_transition(delivery=delivery, to=Delivery.Status.FAILED)
