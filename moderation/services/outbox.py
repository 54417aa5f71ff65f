"""
The outbox: messages owed to the platform, written in the same transaction as the change
that owes them and sent afterwards by Celery with retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from moderation import tasks
from moderation.models import Case, Decision, Delivery, Report, Statement

WEBHOOK_TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The platform did not accept the delivery; the task retries it."""


def _queue(deliveries: list[Delivery]) -> None:
    ids = [d.pk for d in deliveries]

    def send() -> None:
        for pk in ids:
            tasks.deliver.delay(delivery_id=pk)

    transaction.on_commit(send)


def deliveries_for_decision(
    *, decision: Decision, case: Case, statement: Statement | None
) -> list[Delivery]:
    """Enforcement for the platform, the statement for the affected user, outcomes for reporters."""
    subject = case.subject
    base = {
        "case": case.pk,
        "decision": str(decision.uuid),
        "subject": {"type": subject.type, "platform_id": subject.platform_id},
    }
    rows = []
    if decision.is_violation:
        rows.append(
            Delivery(
                kind=Delivery.Kind.ENFORCEMENT,
                idempotency_key=f"enforce-{decision.uuid}",
                case=case,
                decision=decision,
                payload={
                    **base,
                    "account": subject.author.platform_id,
                    "actions": decision.actions,
                    "countries": decision.countries,
                    "restrict_days": decision.restrict_days,
                    "suspend_days": decision.suspend_days,
                },
            )
        )
        rows.append(
            Delivery(
                kind=Delivery.Kind.AFFECTED_NOTICE,
                idempotency_key=f"sor-{decision.uuid}",
                case=case,
                decision=decision,
                payload={
                    **base,
                    "recipient": subject.author.platform_id,
                    "statement": statement.payload if statement else None,
                    "appeal_until": (
                        decision.created_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)
                    ).isoformat(),
                },
            )
        )
    outcome = "action_taken" if decision.is_violation else "no_violation"
    for report in Report.objects.filter(case=case, reporter__isnull=False).select_related(
        "reporter"
    ):
        rows.append(
            Delivery(
                kind=Delivery.Kind.REPORTER_NOTICE,
                idempotency_key=f"notice-{report.pk}-{decision.uuid}",
                case=case,
                decision=decision,
                payload={
                    "report": report.external_id,
                    "recipient": report.reporter.platform_id,
                    "outcome": outcome,
                    "decided_at": decision.created_at.isoformat(),
                },
            )
        )
    created = Delivery.objects.bulk_create(rows)
    Report.objects.filter(case=case, reporter__isnull=False).update(
        outcome_notified_at=timezone.now()
    )
    _queue(created)
    return created


def delivery_create(
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    case: Case | None = None,
    decision: Decision | None = None,
) -> Delivery:
    """One delivery (appeal outcomes, reversals, disclosure notices) queued after commit."""
    made = Delivery.objects.create(
        kind=kind, idempotency_key=key, payload=payload, case=case, decision=decision
    )
    _queue([made])
    return made


def _signature(body: bytes) -> str:
    secret = settings.PLATFORM_WEBHOOK_SECRET.encode()
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def delivery_send(*, delivery_id: int) -> str:
    """
    POST one delivery to the platform's webhook; idempotent (a sent delivery is not resent).

    Without a webhook the delivery is marked as recorded only. A failure is stored and
    re-raised as DeliveryFailed so the task retries with backoff.
    """
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in (Delivery.Status.SENT, Delivery.Status.NOT_CONFIGURED):
            return delivery.status
        url = settings.PLATFORM_WEBHOOK_URL
        if not url:
            delivery.status = Delivery.Status.NOT_CONFIGURED
            delivery.save(update_fields=["status"])
            return delivery.status
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
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
            ok = 200 <= response.status < 300
            error = "" if ok else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        ok, error = False, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        ok, error = False, type(exc).__name__
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT if ok else Delivery.Status.RETRYING,
        sent_at=timezone.now() if ok else None,
        last_error=error[:500],
    )
    if not ok:
        raise DeliveryFailed(error)
    return Delivery.Status.SENT


def delivery_give_up(*, delivery_id: int) -> None:
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.FAILED
    )
