"""The platform's side: its accounts, the people who report, and what was imposed on accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformAccount(models.Model):
    """An account on the messaging platform: the author or owner of reported subjects."""

    class Kind(models.TextChoices):
        USER = "user", _("User")
        BOT = "bot", _("Bot")
        BUSINESS = "business", _("Business")

    platform_id = models.CharField(_("platform id"), max_length=64, unique=True)
    username = models.CharField(_("username"), max_length=64, blank=True, db_index=True)
    display_name = models.CharField(_("display name"), max_length=128, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.USER)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("platform account")
        verbose_name_plural = _("platform accounts")

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else f"account {self.platform_id}"


class Reporter(models.Model):
    """
    Someone who reports, known by the platform's id. Their track record weighs their reports.

    accuracy = (actioned + 1) / (resolved + 2): a Laplace-smoothed share of their reports
    that led to action, so a newcomer starts at 0.5 rather than 0 or 1.
    """

    platform_id = models.CharField(_("platform id"), max_length=64, unique=True)
    reports_resolved = models.PositiveIntegerField(_("reports resolved"), default=0)
    reports_actioned = models.PositiveIntegerField(_("reports that led to action"), default=0)
    # Muted by a senior for filing in bad faith: their reports are stored and counted in
    # statistics, never queued and never weighed in a case's priority.
    muted_at = models.DateTimeField(_("muted"), null=True, blank=True)
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mute_reason = models.CharField(_("why muted"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")

    def __str__(self) -> str:
        return f"reporter {self.pseudonym}"

    @property
    def accuracy_percent(self) -> int:
        return round(100 * (self.reports_actioned + 1) / (self.reports_resolved + 2))

    @property
    def pseudonym(self) -> str:
        from moderation.pseudonyms import pseudonym

        return pseudonym("reporter", self.platform_id)


class AccountRestriction(models.Model):
    """A restriction imposed on a platform account by a decision, possibly for a time."""

    class Kind(models.TextChoices):
        RESTRICTED = "restricted", _("Restricted")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="restrictions"
    )
    decision = models.ForeignKey(
        "moderation.Decision", on_delete=models.CASCADE, related_name="restrictions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        verbose_name = _("account restriction")
        verbose_name_plural = _("account restrictions")
        indexes = [models.Index(fields=["account", "-starts_at"], name="restriction_account")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.account}"


class Strike(models.Model):
    """A recorded violation against an account (Mastodon's 'strike'), from a decision."""

    account = models.ForeignKey(PlatformAccount, on_delete=models.CASCADE, related_name="strikes")
    decision = models.OneToOneField(
        "moderation.Decision", on_delete=models.CASCADE, related_name="strike"
    )
    category = models.ForeignKey("moderation.Category", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided (appeal)"), null=True, blank=True)

    class Meta:
        verbose_name = _("strike")
        verbose_name_plural = _("strikes")

    def __str__(self) -> str:
        return f"strike on {self.account}"
