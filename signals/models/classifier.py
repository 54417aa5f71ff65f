"""The classifier that learns from moderators' decisions: one versioned model per category."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ModelVersion(models.Model):
    """
    One trained text model for one category. The fitted model lives in a file outside the
    database (`PRIVATE_STORAGE_DIR/models/<file_name>`), checked against `sha256` before it is
    loaded (joblib runs code on load: only files this app wrote are ever read). `metrics` holds
    the evaluation on held-out decisions: precision, recall, the chosen threshold, average
    precision and the precision-recall curve.
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate (not used)")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")
        REJECTED = "rejected", _("Rejected (worse than the active one)")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.CANDIDATE: frozenset({Status.ACTIVE, Status.REJECTED}),
        Status.ACTIVE: frozenset({Status.RETIRED}),
        Status.RETIRED: frozenset(),
        Status.REJECTED: frozenset(),
    }

    category = models.ForeignKey(
        "moderation.Category",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CANDIDATE
    )
    file_name = models.CharField(_("model file"), max_length=200)
    sha256 = models.CharField(_("file SHA-256"), max_length=64)
    sklearn_version = models.CharField(_("scikit-learn version"), max_length=20)
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The labelled decisions it learnt from and was tested on (a time-based split).
    train_size = models.PositiveIntegerField(_("training examples"), default=0)
    test_size = models.PositiveIntegerField(_("held-out examples"), default=0)
    positives = models.PositiveIntegerField(_("violations among them"), default=0)
    labels_until = models.DateTimeField(_("decisions up to"), null=True, blank=True)
    metrics = models.JSONField(_("evaluation"), default=dict, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["category_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "version"], name="model_version_unique_per_category"
            ),
            # At most one model scores a category at a time.
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(status="active"),
                name="model_version_one_active_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"model:{self.category_id} v{self.version}"
