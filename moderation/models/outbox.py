from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Delivery(models.Model):
    """
    A message owed to the platform (outbox pattern): written in the decision's transaction,
    sent afterwards by a Celery task with retries. The idempotency key lets the platform
    drop a repeat delivery.
    """

    class Kind(models.TextChoices):
        ENFORCEMENT = "enforcement", _("Enforcement")
        REVERSAL = "reversal", _("Reverting enforcement")
        REPORTER_NOTICE = "reporter_notice", _("Outcome notice to reporter")
        AFFECTED_NOTICE = "affected_notice", _("Statement of reasons to the affected user")
        APPEAL_OUTCOME = "appeal_outcome", _("Appeal outcome")
        USER_NOTICE = "user_notice", _("Notice of a disclosure")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")
        NOT_CONFIGURED = "not_configured", _("Recorded (no webhook configured)")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=128, unique=True)
    case = models.ForeignKey(
        "moderation.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    decision = models.ForeignKey(
        "moderation.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["status", "id"], name="delivery_status")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"
