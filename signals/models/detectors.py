"""
Governed automation: every detector has a mode (off, shadow, live), each category may have a
threshold for automatic actions, and every automatic action is logged, some sampled for a
human to review.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Detector(models.Model):
    """
    One detector and its mode. `key` is what `CaseSignal.detector` holds:
    "bank:<BANK_NAME>", "model:<category code>" (the classifier for a category) or
    "platform:<signal name>" (a score the platform sends with a report).

    A detector without a row has its kind's default mode
    (`signals.governance.modes.DEFAULT_MODES`).
    """

    class Kind(models.TextChoices):
        BANK = "bank", _("Hash bank")
        MODEL = "model", _("Classifier (per category)")
        PLATFORM = "platform", _("Platform-sent signal")

    class Mode(models.TextChoices):
        OFF = "off", _("Off")
        SHADOW = "shadow", _("Shadow (shown, not used)")
        LIVE = "live", _("Live")

    key = models.CharField(_("detector"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    changed_at = models.DateTimeField(_("mode changed"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("detector")
        verbose_name_plural = _("detectors")
        ordering = ["kind", "key"]

    def __str__(self) -> str:
        return self.key


class AutoActionRule(models.Model):
    """
    Automatic action for one category: off by default. When enabled, a live detector's signal
    on a case of this category scoring at least `threshold` decides the case with `actions`
    (a real decision whose statement says it was fully automated); `sample_percent` of those
    decisions go to a human review queue.
    """

    category = models.OneToOneField(
        "moderation.Category", on_delete=models.PROTECT, related_name="+"
    )
    enabled = models.BooleanField(_("automatic action on"), default=False)
    threshold = models.PositiveSmallIntegerField(
        _("score threshold (0-100)"), default=98, validators=[MaxValueValidator(100)]
    )
    actions = models.JSONField(_("actions"), default=list)
    sample_percent = models.PositiveSmallIntegerField(
        _("share sampled for human review (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("automatic-action rule")
        verbose_name_plural = _("automatic-action rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__lte=100, sample_percent__lte=100),
                name="auto_rule_bounds",
            )
        ]

    def __str__(self) -> str:
        return f"Automatic action for category {self.category_id}"


class AutomatedAction(models.Model):
    """
    The log of one automatic decision (reference: rule, mode, detector, score, threshold,
    sampled for QA, the human outcome), and the human review when it was sampled.
    """

    class Review(models.TextChoices):
        NONE = "", _("Not reviewed")
        AGREE = "agree", _("Agrees")
        DISAGREE = "disagree", _("Disagrees")

    decision = models.OneToOneField(
        "moderation.Decision", on_delete=models.PROTECT, related_name="automated_action"
    )
    case = models.ForeignKey("moderation.Case", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(AutoActionRule, on_delete=models.PROTECT, related_name="actions_taken")
    detector = models.CharField(_("detector"), max_length=120)
    signal = models.ForeignKey(
        "moderation.CaseSignal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("score"))
    threshold = models.PositiveSmallIntegerField(_("threshold"))
    sampled = models.BooleanField(_("sampled for human review"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    review = models.CharField(
        _("review"), max_length=8, choices=Review.choices, blank=True, default=""
    )
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("automatic action")
        verbose_name_plural = _("automatic actions")
        indexes = [
            # The review queue: sampled, not yet reviewed, oldest first.
            models.Index(
                fields=["id"],
                name="auto_action_to_review",
                condition=Q(sampled=True, review=""),
            ),
            models.Index(fields=["detector", "id"], name="auto_action_detector"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(review="") | Q(sampled=True, reviewed_at__isnull=False),
                name="auto_action_review_only_sampled",
            )
        ]

    def __str__(self) -> str:
        return f"Automatic action on case {self.case_id} by {self.detector}"
