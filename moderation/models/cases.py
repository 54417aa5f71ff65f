"""Cases: everything reported about one subject, the unit moderators triage."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from moderation.models.reports import Category, Subject

# Where a case's reports came from, one flag each (denormalised by cases_refresh): the queue
# filters on them, the priority weighs them, and several writers and readers list them.
SOURCE_FLAGS = ("has_user_notice", "has_trusted_flagger", "has_authority", "has_automated")


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        ESCALATED = "escalated", _("Escalated to senior")
        LEGAL = "legal", _("Escalated to legal")
        RESOLVED = "resolved", _("Resolved")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset({Status.CLAIMED, Status.RESOLVED}),  # RESOLVED: bulk decisions
        Status.CLAIMED: frozenset(
            {Status.OPEN, Status.CLAIMED, Status.ESCALATED, Status.LEGAL, Status.RESOLVED}
        ),
        Status.ESCALATED: frozenset({Status.CLAIMED, Status.LEGAL, Status.RESOLVED}),
        Status.LEGAL: frozenset({Status.CLAIMED, Status.RESOLVED}),
        Status.RESOLVED: frozenset(),
    }
    # Statuses in which a case still gathers new reports about its subject.
    ACTIVE = (Status.OPEN, Status.CLAIMED, Status.ESCALATED, Status.LEGAL)

    class Escalation(models.TextChoices):
        NONE = "", _("None")
        SENIOR = "senior", _("Senior moderators")
        LEGAL = "legal", _("Legal")

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    # Denormalised from the subject and reports so the queue filters on indexed columns.
    subject_type = models.CharField(_("subject type"), max_length=16, choices=Subject.Type.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    has_user_notice = models.BooleanField(default=False)
    has_trusted_flagger = models.BooleanField(default=False)
    has_authority = models.BooleanField(default=False)
    has_automated = models.BooleanField(default=False)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    reporter_count = models.PositiveIntegerField(_("distinct reporters"), default=0)
    max_signal_score = models.PositiveSmallIntegerField(_("highest signal score"), default=0)
    # Reports stored on the case but kept out of the queue and the priority: about a subject
    # cleared as "no violation" a short while ago, or from a reporter seniors muted.
    held_report_count = models.PositiveIntegerField(_("reports held back"), default=0)

    priority = models.IntegerField(_("priority"), default=0)
    priority_explanation = models.JSONField(_("priority explanation"), default=dict, blank=True)
    deadline_at = models.DateTimeField(_("deadline"))
    # When the deadline component of the priority next changes (None: it no longer will).
    score_changes_at = models.DateTimeField(_("score changes"), null=True, blank=True)

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    claim_expires_at = models.DateTimeField(_("claim expires"), null=True, blank=True)
    escalation = models.CharField(
        _("escalated to"), max_length=8, choices=Escalation.choices, blank=True, default=""
    )
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation_note = models.TextField(_("escalation note"), blank=True)

    # A message case from a private group, rolled up into that group's case: shown there and
    # resolved with the group-level decision (moderation.services.rollup).
    rollup_parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rolled_up_cases",
        verbose_name=_("rolled up into"),
    )

    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Set once no report of this resolved case holds evidence any more, so the daily purge
    # never reads it again (its index holds only resolved cases still holding evidence).
    # Cleared when a held report with evidence lands on the case later.
    evidence_purged_at = models.DateTimeField(_("evidence purged"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            # Concurrent reports about a new subject still make one open case.
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(status__in=["open", "claimed", "escalated", "legal"]),
                name="case_one_active_per_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status="claimed")
                | Q(claimed_by__isnull=False, claim_expires_at__isnull=False),
                name="case_claimed_has_owner",
            ),
        ]
        indexes = [
            # The deadline re-scoring task reads only the cases whose score is due to change.
            models.Index(
                fields=["score_changes_at"],
                name="case_score_changes",
                condition=models.Q(score_changes_at__isnull=False),
            ),
            # The queue: status filter, then priority descending with id as tie-break.
            models.Index("status", models.F("priority").desc(), "id", name="case_queue_priority"),
            models.Index(fields=["status", "language", "-priority", "id"], name="case_queue_lang"),
            models.Index(fields=["status", "id"], name="case_queue_age"),
            models.Index(fields=["status", "deadline_at"], name="case_deadline"),
            models.Index(fields=["claimed_by", "status"], name="case_claimed_by"),
            # Active cases by priority across the four active statuses (the queue index is
            # per status): the case page's related open cases of a prolific author or a busy
            # chat walk it and stop at the first twenty, instead of sorting all of them.
            models.Index(
                models.F("priority").desc(),
                "id",
                name="case_active_priority",
                condition=Q(status__in=["open", "claimed", "escalated", "legal"]),
            ),
            # The daily evidence purge: resolved cases that still hold evidence, by resolution
            # time, so a run reads the cases due, never the whole purged history.
            models.Index(
                fields=["resolved_at", "id"],
                name="case_purge_due",
                condition=Q(status="resolved", evidence_purged_at__isnull=True),
            ),
            # The queue's filters combined (category, subject type, then the source flags
            # carried for an index-only check): a rare combination and its capped count read
            # only the matching rows. Rolled-up cases never show in the queue.
            models.Index(
                "status",
                "category",
                "subject_type",
                models.F("priority").desc(),
                "id",
                name="case_queue_filters",
                include=list(SOURCE_FLAGS),
                condition=Q(rollup_parent__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def unclaimed_status(self) -> str:
        """Where the case waits when nobody holds it: its escalation decides the queue."""
        queues: dict[str, str] = {
            self.Escalation.SENIOR: self.Status.ESCALATED,
            self.Escalation.LEGAL: self.Status.LEGAL,
        }
        return queues.get(self.escalation, self.Status.OPEN)

    @property
    def sources(self) -> list[str]:
        flags = [
            (self.has_authority, "authority"),
            (self.has_trusted_flagger, "trusted_flagger"),
            (self.has_user_notice, "user"),
            (self.has_automated, "automated"),
        ]
        return [name for on, name in flags if on]


class CaseSignal(models.Model):
    """An automated signal about a case's subject: a classifier score or a hash match."""

    class Kind(models.TextChoices):
        CLASSIFIER = "classifier", _("Classifier score")
        HASH_MATCH = "hash_match", _("Hash match")
        # A reported search result whose query matches a blocked search term (search_policy).
        BLOCKED_TERM = "blocked_term", _("Blocked search term")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="signals")
    report = models.ForeignKey(
        "moderation.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="signals"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("model or hash list"), max_length=80)
    label = models.CharField(_("label"), max_length=80, blank=True)
    score = models.PositiveSmallIntegerField(_("score (0-100)"))
    matched_hash = models.CharField(_("matched hash"), max_length=128, blank=True)
    # What the detector adds to explain itself (a hash match: bank, signal type, distance,
    # the decision the banked hash came from).
    details = models.JSONField(_("details"), default=dict, blank=True)
    # The detector that produced it ("bank:NAME", "model:<category>", "platform:<name>") and
    # its mode at the time: a shadow signal is stored and shown, never used for priority or
    # automatic actions. Detectors switched off store nothing.
    detector = models.CharField(_("detector"), max_length=120, blank=True)
    mode = models.CharField(
        _("mode"),
        max_length=8,
        choices=[("live", _("Live")), ("shadow", _("Shadow"))],
        default="live",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("automated signal")
        verbose_name_plural = _("automated signals")
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="signal_score_0_100")
        ]
        indexes = [
            # Precision per score band: a detector's signals joined to their cases' decisions.
            models.Index(fields=["detector", "case"], name="signal_detector_case"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.label} {self.score}"
