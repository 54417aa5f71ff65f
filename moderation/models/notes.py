"""The moderator's working tools: internal notes and reply templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseNote(models.Model):
    """
    An internal note on a case (or on one of its appeals): for staff only. Never part of a
    statement of reasons, a notice or any outgoing delivery.
    """

    case = models.ForeignKey("moderation.Case", on_delete=models.PROTECT, related_name="notes")
    appeal = models.ForeignKey(
        "moderation.Appeal", null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        indexes = [models.Index(fields=["case", "id"], name="case_note_case")]

    def __str__(self) -> str:
        return f"Note {self.pk} on case {self.case_id}"


class ReplyTemplate(models.Model):
    """
    A reusable text for the decision form, per category (or every category) and language,
    maintained by senior moderators; inserted into the explanation or the facts, and still
    editable there.
    """

    class Field(models.TextChoices):
        EXPLANATION = "explanation", _("Explanation to the user")
        FACTS = "facts", _("Facts and circumstances")

    title = models.CharField(_("title"), max_length=120)
    category = models.ForeignKey(
        "moderation.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category (empty: every category)"),
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    field = models.CharField(_("inserted into"), max_length=16, choices=Field.choices)
    body = models.TextField(_("text"))
    # One key inserts it in the decision form (1-9 within the case's category and language).
    shortcut = models.PositiveSmallIntegerField(_("shortcut key"), null=True, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["language", "category_id", "shortcut", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shortcut__isnull=True) | Q(shortcut__gte=1, shortcut__lte=9),
                name="reply_template_shortcut_1_9",
            )
        ]
        indexes = [
            models.Index(fields=["language", "category", "active"], name="reply_template_lookup")
        ]

    def __str__(self) -> str:
        return self.title


class TransparencyReport(models.Model):
    """
    A moderation transparency report (DSA Art. 15 and 24) for one period: the figures as
    computed from the records when it was generated (`figures`, the harmonised template's
    rows that apply), regenerated until it is published; a published one is public and never
    changes (a correction is a new version).
    """

    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to (inclusive)"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    figures = models.JSONField(_("figures"), default=dict)
    generated_at = models.DateTimeField(_("generated"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correction_note = models.TextField(_("what this version corrects"), blank=True)

    class Meta:
        verbose_name = _("moderation transparency report")
        verbose_name_plural = _("moderation transparency reports")
        ordering = ["-period_start", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end", "version"],
                name="transparency_report_unique_version",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="transparency_report_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Transparency report {self.period_start}/{self.period_end} v{self.version}"
