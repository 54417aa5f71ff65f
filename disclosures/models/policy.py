"""The disclosure policy as versioned data: which offences make IP and phone disclosable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisclosurePolicy(models.Model):
    """
    One version of the policy, in force from `effective_from` until the next version.

    Before the platform's change only terrorism qualified; after it, any criminal activity
    that also breaks the terms. A request is checked against the version in force when it
    was received.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_from = models.DateTimeField(_("in force from (UTC)"), unique=True)
    any_criminal_offence = models.BooleanField(
        _("any criminal activity that also breaks the terms"), default=False
    )
    offence_categories = models.JSONField(
        _("qualifying offence categories (moderation category codes)"), default=list, blank=True
    )
    summary = models.TextField(_("summary"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disclosure policy version")
        verbose_name_plural = _("disclosure policy versions")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"Policy v{self.version} from {self.effective_from:%Y-%m-%d}"

    def covers(self, offence_category: str) -> bool:
        return self.any_criminal_offence or offence_category in self.offence_categories
