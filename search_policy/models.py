"""
The search policy: query terms that return nothing, entities hidden from global search, and
the change log that versions the feed the platform's search service syncs.

Entries are never deleted: removing one stamps `removed_at` and writes a "remove" change, so
a client that synced an older version learns of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchPolicyAccess(models.Model):
    """Holder of the app's permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_search_policy", _("Can see blocked search terms and delisted entities")),
            ("manage_search_policy", _("Can add and remove blocked terms and delistings")),
        ]

    def __str__(self) -> str:
        return "search policy access"


class Category(models.TextChoices):
    """The Transparency Database category the entry is about (its STATEMENT_CATEGORY_*)."""

    PROTECTION_OF_MINORS = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", _("Protection of minors")
    UNSAFE_PRODUCTS = (
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        _("Unsafe and prohibited products"),
    )
    VIOLENCE = "STATEMENT_CATEGORY_VIOLENCE", _("Violence (incl. terrorism)")
    SCAMS = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", _("Scams and fraud")
    ILLEGAL_SPEECH = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", _("Illegal or harmful speech")
    OTHER = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", _("Other violation of the terms")


class PolicyEntry(models.Model):
    """
    What every entry of the policy has: why, who added it and when, when it is reviewed,
    and (never deleted) who removed it, when and why.
    """

    reason = models.CharField(_("reason"), max_length=500)
    review_at = models.DateField(_("review due"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removal_reason = models.CharField(_("why removed"), max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def active(self) -> bool:
        return self.removed_at is None


class QueryTerm(PolicyEntry):
    """A search query term as entered and as normalised (in each language of its scope)."""

    term = models.CharField(_("term as entered"), max_length=200)
    normalized = models.CharField(_("normalised form"), max_length=200, db_index=True)
    # The other forms the term takes under a language's own folding (German "ae" for "ä",
    # Turkish dotless i), published with it: the search service matches any of them.
    variants = models.JSONField(_("language variants"), default=list, blank=True)
    normalizer_version = models.PositiveSmallIntegerField(_("normaliser version"))
    # Empty: every language / country.
    languages = models.JSONField(_("languages"), default=list, blank=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)

    class Meta:
        abstract = True


class BlockedTerm(QueryTerm):
    class MatchType(models.TextChoices):
        EXACT = "exact", _("Exact (the whole query)")
        PREFIX = "prefix", _("Prefix (autocomplete)")
        TOKEN = "token", _("Words in the query")

    class Source(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        IWF = "iwf", _("IWF keywords list")
        LANTERN = "lantern", _("Lantern")

    match_type = models.CharField(
        _("match type"), max_length=8, choices=MatchType.choices, default=MatchType.EXACT
    )
    category = models.CharField(_("category"), max_length=80, choices=Category.choices)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.INTERNAL
    )
    # Licensed lists (IWF) must not reach people without a need to know.
    confidential = models.BooleanField(_("confidential"), default=False)

    class Meta:
        verbose_name = _("blocked term")
        verbose_name_plural = _("blocked terms")
        constraints = [
            # One active entry per normalised form and match type: a second would only churn
            # the feed.
            models.UniqueConstraint(
                fields=["normalized", "match_type"],
                condition=models.Q(removed_at__isnull=True),
                name="blocked_term_active_unique",
            )
        ]

    def __str__(self) -> str:
        return f"term #{self.pk}"

    def label(self, *, reveal: bool) -> str:
        """The term, or for a confidential one (unless `reveal`) only its number and source."""
        if self.confidential and not reveal:
            return f"#{self.pk} ({self.get_source_display()}, confidential)"
        return self.term


class AllowedTerm(QueryTerm):
    """
    A query that must never be blocked ("breast cancer screening" next to a blocked
    "breast"): a query it matches is neither tagged here nor blocked by the search service,
    which applies allowed terms before blocked ones. Exact or prefix only: a "words in the
    query" allowance would let anyone launder a blocked query by appending the allowed words.
    """

    class MatchType(models.TextChoices):
        EXACT = "exact", _("Exact (the whole query)")
        PREFIX = "prefix", _("Prefix (the query is the start of it, while typing)")

    match_type = models.CharField(
        _("match type"), max_length=8, choices=MatchType.choices, default=MatchType.EXACT
    )

    class Meta:
        verbose_name = _("allowed term")
        verbose_name_plural = _("allowed terms")
        constraints = [
            models.UniqueConstraint(
                fields=["normalized", "match_type"],
                condition=models.Q(removed_at__isnull=True),
                name="allowed_term_active_unique",
            )
        ]

    def __str__(self) -> str:
        return f"allowed term #{self.pk}"


class DelistedEntity(PolicyEntry):
    class Type(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        GROUP = "group", _("Group")
        BOT = "bot", _("Bot")
        ACCOUNT = "account", _("Account")
        MESSAGE = "message", _("Message")

    entity_type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    platform_id = models.CharField(_("platform id"), max_length=128)
    category = models.CharField(_("category"), max_length=80, choices=Category.choices)
    case = models.ForeignKey(
        "moderation.Case", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decision = models.ForeignKey(
        "moderation.Decision", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("delisted entity")
        verbose_name_plural = _("delisted entities")
        constraints = [
            models.UniqueConstraint(
                fields=["entity_type", "platform_id"],
                condition=models.Q(removed_at__isnull=True),
                name="delisted_entity_active_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity_type} {self.platform_id}"


class FeedHead(models.Model):
    """
    The feed's latest version, one row. Writers lock it to take the next version, so versions
    commit in order and `since=N` never skips a change that commits late.
    """

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed at version {self.version}"


class PolicyChange(models.Model):
    class Op(models.TextChoices):
        ADD = "add", _("Added")
        REMOVE = "remove", _("Removed")

    version = models.PositiveBigIntegerField(_("version"), unique=True)
    op = models.CharField(_("change"), max_length=8, choices=Op.choices)
    term = models.ForeignKey(
        BlockedTerm, on_delete=models.PROTECT, related_name="changes", null=True, blank=True
    )
    entity = models.ForeignKey(
        DelistedEntity, on_delete=models.PROTECT, related_name="changes", null=True, blank=True
    )
    allowed = models.ForeignKey(
        AllowedTerm, on_delete=models.PROTECT, related_name="changes", null=True, blank=True
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("search policy change")
        verbose_name_plural = _("search policy changes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(term__isnull=False, entity__isnull=True, allowed__isnull=True)
                    | models.Q(term__isnull=True, entity__isnull=False, allowed__isnull=True)
                    | models.Q(term__isnull=True, entity__isnull=True, allowed__isnull=False)
                ),
                name="policy_change_one_entry",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.op}"


class TagCursor(models.Model):
    """
    How far the relay has checked reports against the blocked terms: every report with an
    id up to `last_report_id` was handed to tagging, so a `tag_reports` task lost with the
    broker is made up for by the next relay run.
    """

    name = models.CharField(max_length=32, unique=True)
    last_report_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at report {self.last_report_id}"
