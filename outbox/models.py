from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from outbox import kinds


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def about(self, obj: models.Model) -> DeliveryQuerySet:
        """Deliveries about one object (a case, a legal request)."""
        return self.filter(topic_type=obj._meta.label_lower, topic_id=str(obj.pk))

    def caused_by(self, obj: models.Model) -> DeliveryQuerySet:
        """Deliveries the change recorded by `obj` (a decision, an appeal, a notice) owes."""
        return self.filter(cause_type=obj._meta.label_lower, cause_id=str(obj.pk))


class Delivery(models.Model):
    """
    A message owed to the platform (outbox pattern): written in the transaction of the change
    that owes it, sent afterwards by a Celery task with retries. The idempotency key lets the
    platform drop a repeat delivery. `topic` names what the message is about and `cause` the
    record that owes it, as (model label, primary key) pairs like the audit trail's targets,
    so the outbox depends on no app.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")
        NOT_CONFIGURED = "not_configured", _("Recorded (no webhook configured)")

    # RETRYING -> RETRYING: each failed attempt records its error and tries again later.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.PENDING: frozenset(
            {Status.SENT, Status.RETRYING, Status.FAILED, Status.NOT_CONFIGURED}
        ),
        Status.RETRYING: frozenset({Status.SENT, Status.RETRYING, Status.FAILED}),
        Status.SENT: frozenset(),
        Status.FAILED: frozenset(),
        Status.NOT_CONFIGURED: frozenset(),
    }
    FINAL: ClassVar[frozenset[str]] = frozenset({Status.SENT, Status.FAILED, Status.NOT_CONFIGURED})

    kind = models.CharField(max_length=24)
    idempotency_key = models.CharField(max_length=128, unique=True)
    topic_type = models.CharField(max_length=64, blank=True)
    topic_id = models.CharField(max_length=64, blank=True)
    cause_type = models.CharField(max_length=64, blank=True)
    cause_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the relay next hands the delivery to a worker (a retry's backoff, or the grace
    # period after commit in which the first publish is expected to have worked).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["status", "id"], name="outbox_delivery_status"),
            models.Index(fields=["topic_type", "topic_id", "id"], name="outbox_delivery_topic"),
            models.Index(fields=["cause_type", "cause_id"], name="outbox_delivery_cause"),
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_delivery_due",
                condition=models.Q(status__in=["pending", "retrying"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"

    @property
    def kind_label(self) -> str:
        return kinds.label(self.kind)
