"""Decisions on cases and the DSA statements of reasons they owe."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from moderation.models.cases import Case


class Action(models.TextChoices):
    NO_VIOLATION = "no_violation", _("No violation")
    REMOVE_CONTENT = "remove_content", _("Remove content")
    REMOVE_FROM_SEARCH = "remove_from_search", _("Remove from search results")
    GEO_RESTRICT = "geo_restrict", _("Restrict in named countries")
    LABEL = "label", _("Label")
    AGE_RESTRICT = "age_restrict", _("Age-restrict")
    RESTRICT_ACCOUNT = "restrict_account", _("Restrict the account for a duration")
    SUSPEND_ACCOUNT = "suspend_account", _("Suspend the account for a duration")
    TERMINATE_ACCOUNT = "terminate_account", _("Terminate the account")


class Ground(models.TextChoices):
    ILLEGAL = "illegal", _("Illegal content")
    TERMS = "terms", _("Terms of service violation")


class Decision(models.Model):
    """
    A moderator's decision on a case, with everything its statement of reasons needs.

    Stored at decision time: actions with durations and territorial scope, the ground and
    its reference, DSA category and keywords, the facts relied on, automation flags.
    """

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("In force")
        REVERSED = "reversed", _("Reversed on appeal")
        SUPERSEDED = "superseded", _("Modified on appeal")

    # An appeal takes a decision out of force once; nothing brings it back (a new decision does).
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.IN_FORCE: frozenset({Status.REVERSED, Status.SUPERSEDED}),
        Status.REVERSED: frozenset(),
        Status.SUPERSEDED: frozenset(),
    }

    class Origin(models.TextChoices):
        MODERATOR = "moderator", _("Moderator")
        BULK = "bulk", _("Bulk action")
        APPEAL = "appeal", _("Appeal decision")
        # Taken by an automatic-action rule (signals app): the statement says fully automated.
        AUTOMATED = "automated", _("Automatic action")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MODERATOR)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_FORCE)
    actions = models.JSONField(_("actions"), default=list)
    countries = models.JSONField(_("countries (territorial scope)"), default=list, blank=True)
    restrict_days = models.PositiveIntegerField(null=True, blank=True)
    suspend_days = models.PositiveIntegerField(null=True, blank=True)
    ground = models.CharField(_("ground"), max_length=16, choices=Ground.choices, blank=True)
    legal_ground = models.CharField(_("legal ground"), max_length=500, blank=True)
    terms_clause = models.CharField(_("terms clause"), max_length=500, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    dsa_category = models.CharField(_("DSA category"), max_length=80, blank=True)
    dsa_keywords = models.JSONField(_("DSA keywords"), default=list, blank=True)
    facts = models.TextField(_("facts and circumstances"), blank=True)
    automated_detection = models.BooleanField(default=False)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    bulk_job = models.ForeignKey(
        "moderation.BulkJob",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    created_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        indexes = [models.Index(fields=["case", "-id"], name="decision_case")]

    def __str__(self) -> str:
        return f"Decision {self.pk} on case {self.case_id}"

    @property
    def is_violation(self) -> bool:
        return Action.NO_VIOLATION not in self.actions

    def action_labels(self) -> list[str]:
        labels = dict(Action.choices)
        return [str(labels.get(a, a)) for a in self.actions]


class Statement(models.Model):
    """A statement of reasons (DSA Art. 17) in the Transparency Database's JSON shape."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="statement")
    puid = models.CharField(_("PUID"), max_length=500, unique=True)
    payload = models.JSONField(_("statement"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("statement of reasons")
        verbose_name_plural = _("statements of reasons")
        indexes = [models.Index(fields=["created_at", "id"], name="statement_since")]

    def __str__(self) -> str:
        return self.puid
