"""
Writing to the outbox and sending what it holds.

`delivery_enqueue` (one) and `deliveries_enqueue` (many, one INSERT) write the rows in the
caller's transaction and publish the send after commit, so a rolled-back change owes nothing
and a committed one is never forgotten: if the broker is down, the row waits and the relay
(`deliveries_relay`) publishes it once the broker answers. `delivery_send` POSTs one delivery to
the platform's webhook, signed and keyed; a failure is retried by the relay with backoff, so a
delivery is in the hands of at most one worker at a time (its `next_attempt_at` is a lease).
Every status change goes through `delivery_transition`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core.errors import InvalidTransition
from core.transitions import status_transition
from outbox import kinds, tasks
from outbox.models import Delivery
from outbox.publish import publish

WEBHOOK_TIMEOUT_SECONDS = 10
# After commit the delivery is published at once; the relay steps in only if it is still
# pending this long after, so a working broker never sees it twice.
FIRST_PUBLISH_GRACE = timedelta(seconds=30)
# While a worker holds a delivery (publish, queue, POST), the relay leaves it alone this long.
ATTEMPT_LEASE = timedelta(seconds=WEBHOOK_TIMEOUT_SECONDS + 50)
MAX_DELIVERY_ATTEMPTS = 9  # the first try and eight retries, over about 40 minutes
RELAY_BATCH = 500


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: 10 s, 20 s, 40 s ... capped at an hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


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

    def as_row(self, *, now: datetime) -> Delivery:
        kinds.require(self.kind)
        return Delivery(
            kind=self.kind,
            idempotency_key=self.key,
            payload=self.payload,
            next_attempt_at=now + FIRST_PUBLISH_GRACE,
            **_reference("topic", self.topic),
            **_reference("cause", self.cause),
        )


def _reference(prefix: str, obj: models.Model | None) -> dict[str, str]:
    if obj is None:
        return {}
    return {f"{prefix}_type": obj._meta.label_lower, f"{prefix}_id": str(obj.pk)}


def _publish(ids: Iterable[int]) -> int:
    """Publish each send; stop at the first refusal (the broker is down, the relay follows)."""
    published = 0
    for pk in ids:
        if not publish(tasks.deliver, delivery_id=pk):
            break
        published += 1
    return published


def _send_after_commit(deliveries: Iterable[Delivery]) -> None:
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _publish(ids))


def deliveries_enqueue(items: Iterable[Outgoing]) -> list[Delivery]:
    """Write the deliveries in the caller's transaction (one INSERT); send them after commit."""
    now = timezone.now()
    rows = [item.as_row(now=now) for item in items]
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
    sent again, and the platform drops a repeat by its idempotency key).

    Without a webhook the delivery is marked as recorded only. A failure is stored with the
    time of the next attempt (the relay publishes it then) and re-raised as DeliveryFailed;
    after MAX_DELIVERY_ATTEMPTS the delivery is marked failed.
    """
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in Delivery.FINAL:
            return delivery.status
        url = settings.PLATFORM_WEBHOOK_URL
        if not url:
            delivery.next_attempt_at = None
            delivery_transition(
                delivery=delivery, to=Delivery.Status.NOT_CONFIGURED, fields=("next_attempt_at",)
            )
            return delivery.status
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    # The HTTP call runs outside the transaction: no row lock is held while the platform answers.
    error = _post(url, delivery)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in Delivery.FINAL:  # another worker finished it meanwhile
            return delivery.status
        now = timezone.now()
        delivery.last_error = error[:500]
        delivery.sent_at = None if error else now
        if not error:
            to = Delivery.Status.SENT
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_DELIVERY_ATTEMPTS:
            to = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            to = Delivery.Status.RETRYING
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery_transition(
            delivery=delivery, to=to, fields=("last_error", "sent_at", "next_attempt_at")
        )
    if error:
        raise DeliveryFailed(error)
    return Delivery.Status.SENT


def deliveries_relay(now: datetime) -> int:
    """
    Publish the deliveries due: pending past their grace period (the publish after commit was
    lost, say to a broker outage) or retrying past their backoff. Each is leased first, so a
    second relay run (or a worker still sending it) does not hand it out twice.
    """
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:RELAY_BATCH]
        )
        Delivery.objects.filter(pk__in=due).update(next_attempt_at=now + ATTEMPT_LEASE)
    published = _publish(due)
    if published < len(due):  # the broker refused: try the rest at the next run, not in a minute
        Delivery.objects.filter(pk__in=due[published:]).update(next_attempt_at=now)
    return published
