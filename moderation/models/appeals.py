from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from moderation.models.decisions import Decision


class Appeal(models.Model):
    """An affected user's complaint against a decision (DSA Art. 20)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Decision upheld")
        REVERSED = "reversed", _("Decision reversed")
        MODIFIED = "modified", _("Decision modified")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.PENDING: frozenset({Status.UPHELD, Status.REVERSED, Status.MODIFIED}),
        Status.UPHELD: frozenset(),
        Status.REVERSED: frozenset(),
        Status.MODIFIED: frozenset(),
    }

    external_id = models.CharField(_("external id"), max_length=128, unique=True)
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="appeals")
    appellant_id = models.CharField(_("appellant (platform id)"), max_length=64)
    reason = models.TextField(_("appellant's reasons"))
    submitted_at = models.DateTimeField(_("submitted"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [models.Index(fields=["status", "id"], name="appeal_queue")]
        constraints = [
            # One open appeal per decision: a second one waits for the first.
            models.UniqueConstraint(
                fields=["decision"],
                condition=models.Q(status="pending"),
                name="appeal_one_pending_per_decision",
            )
        ]

    def __str__(self) -> str:
        return f"Appeal {self.external_id}"

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]
