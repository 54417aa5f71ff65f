"""What is reported: categories, subjects and the reports themselves (with their evidence)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from moderation.models.platform import PlatformAccount, Reporter


class Category(models.Model):
    """
    A kind of harm, with its urgency and its mapping to the DSA Transparency Database.

    Editable by administrators: severity and deadline drive the queue's priority; the DSA
    fields pre-fill every decision's statement of reasons.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    severity = models.PositiveSmallIntegerField(
        _("severity (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    deadline_hours = models.PositiveIntegerField(_("handling deadline (hours)"))
    dsa_category = models.CharField(_("DSA category"), max_length=80)
    dsa_keywords = models.JSONField(_("DSA keywords"), default=list, blank=True)
    illegal_by_default = models.BooleanField(
        _("usually illegal content (not only a terms violation)"), default=False
    )
    legal_ground = models.CharField(_("default legal ground"), max_length=500, blank=True)
    terms_clause = models.CharField(_("terms of service clause"), max_length=500)
    facts_template = models.TextField(_("facts and circumstances template"))
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__gte=1, severity__lte=5), name="category_severity_1_5"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """One reported thing on the platform; all reports about it gather in one open case."""

    class Type(models.TextChoices):
        MESSAGE = "message", _("Message")
        CHANNEL = "channel", _("Channel")
        GROUP = "group", _("Group")
        ACCOUNT = "account", _("Account")
        BOT = "bot", _("Bot")
        MEDIA = "media", _("Media item")
        SEARCH_RESULT = "search_result", _("Search result")

    class ChatKind(models.TextChoices):
        # Public: anyone can read it, so the platform observes what is reported there.
        GROUP = "group", _("Public group")
        CHANNEL = "channel", _("Public channel")
        # Private amongst their participants: the platform sees only what a reporter forwards.
        PRIVATE = "private", _("Private chat")
        PRIVATE_GROUP = "private_group", _("Private group")
        PRIVATE_CHANNEL = "private_channel", _("Private channel")
        # End-to-end encrypted: the platform holds no readable copy at all.
        SECRET = "secret", _("Secret chat (end-to-end encrypted)")

    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    platform_id = models.CharField(_("platform id"), max_length=128)
    author = models.ForeignKey(
        PlatformAccount, on_delete=models.PROTECT, related_name="subjects", verbose_name=_("author")
    )
    chat_id = models.CharField(_("chat id"), max_length=64, blank=True, db_index=True)
    chat_kind = models.CharField(
        _("chat kind"), max_length=16, choices=ChatKind.choices, blank=True
    )
    # A message in a private group or channel: who owns that chat and its title, as the
    # platform sent them (the group-level case of a roll-up is about the owner's group).
    chat_owner = models.ForeignKey(
        PlatformAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chat owner"),
    )
    chat_title = models.CharField(_("chat title"), max_length=128, blank=True)
    first_reported_at = models.DateTimeField(_("first reported"), auto_now_add=True)

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        constraints = [
            models.UniqueConstraint(fields=["type", "platform_id"], name="subject_unique_per_type")
        ]
        indexes = [
            # An author's most recent subjects first (the case page's author history), read
            # from the index and stopped at the first few, however many subjects they have.
            models.Index(fields=["author", "-id"], name="subject_author_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.platform_id}"


class Report(models.Model):
    """
    One notice about a subject, with the evidence as it stood when reported.

    The snapshot (text, media hash, link, posted time) is kept so a message deleted on the
    platform can still be judged. external_id is the platform's id and the idempotency key.
    """

    class Source(models.TextChoices):
        USER = "user", _("User notice (DSA Art. 16)")
        TRUSTED_FLAGGER = "trusted_flagger", _("Trusted flagger (DSA Art. 22)")
        AUTHORITY = "authority", _("Authority notice")
        AUTOMATED = "automated", _("Automated detection")

    class Provenance(models.TextChoices):
        # Public content the platform can read and vouch for.
        PLATFORM = "platform", _("Platform-observed")
        # Forwarded by the reporter from a private or end-to-end encrypted chat: nothing but
        # the reporter vouches for it.
        REPORTER = "reporter", _("Reporter-supplied")

    class Held(models.TextChoices):
        NO = "", _("Queued")
        CLEARED_RECENTLY = "cleared_recently", _("Held: subject cleared recently")
        MUTED_REPORTER = "muted_reporter", _("Held: reporter muted")

    external_id = models.CharField(_("external id"), max_length=128, unique=True)
    # None only for a muted reporter's report about a subject no case holds.
    case = models.ForeignKey(
        "moderation.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="reports")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    reporter = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    flagger_name = models.CharField(_("trusted flagger / authority"), max_length=200, blank=True)
    description = models.TextField(_("reporter's reasons"), blank=True)
    reported_at = models.DateTimeField(_("reported"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    language = models.CharField(_("content language"), max_length=8, blank=True)
    language_detected = models.BooleanField(
        _("language detected (not given by the platform)"), default=False
    )
    # Evidence snapshot.
    content_text = models.TextField(_("content text"), blank=True)
    content_type = models.CharField(_("content type"), max_length=16, default="text")
    media_sha256 = models.CharField(_("media SHA-256"), max_length=64, blank=True)
    # The PDQ hash the platform computed for media it keeps itself (no bytes sent): matched
    # against the banks like the PDQ of media received here.
    media_pdq = models.CharField(_("media PDQ (sent by the platform)"), max_length=64, blank=True)
    media_pdq_quality = models.PositiveSmallIntegerField(
        _("media PDQ quality (sent by the platform)"), null=True, blank=True
    )
    media_url = models.URLField(_("media reference"), max_length=500, blank=True)
    # Where the evidence snapshot (text, media) came from; see moderation.chat_kinds.
    evidence_provenance = models.CharField(
        _("evidence provenance"),
        max_length=8,
        choices=Provenance.choices,
        default=Provenance.PLATFORM,
    )
    # A reported search result: the query that returned it (matched against blocked terms).
    search_query = models.CharField(_("search query"), max_length=256, blank=True)
    deep_link = models.CharField(_("deep link"), max_length=500, blank=True)
    chat_id = models.CharField(_("chat id"), max_length=64, blank=True)
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    # The messages around a reported message in its group or channel, as the platform sent
    # them: [{"position": "before"|"after", "message_id", "author_id", "author_name",
    # "posted_at", "text", "provenance": "platform"|"reporter"}], in thread order.
    context = models.JSONField(_("thread context"), default=list, blank=True)
    # Set when the retention purge removed the snapshot (text, context, media file).
    evidence_purged_at = models.DateTimeField(_("evidence purged"), null=True, blank=True)
    outcome_notified_at = models.DateTimeField(
        _("reporter told the outcome"), null=True, blank=True
    )
    # Why the report is stored without queueing its subject or weighing in its priority.
    held = models.CharField(
        _("held back"), max_length=20, choices=Held.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(held="muted_reporter"),
                name="report_case_unless_muted",
            )
        ]
        indexes = [
            models.Index(fields=["case", "id"], name="report_case"),
            models.Index(
                fields=["media_sha256"], name="report_media", condition=~models.Q(media_sha256="")
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.external_id}"
