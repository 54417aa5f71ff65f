"""Preservation holds: a preservation order keeps the targets' records, it produces nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from disclosures.models.requests import LegalRequest


class PreservationHold(models.Model):
    """
    One target account's records kept on hold for a preservation order (EPOC-PR, US
    §2703(f)) until `expires_at`: exempt from every purge, never packaged. Extended on the
    authority's request, released when the order ends or a production order takes over.
    """

    request = models.ForeignKey(LegalRequest, on_delete=models.PROTECT, related_name="holds")
    account = models.ForeignKey(
        "moderation.PlatformAccount", on_delete=models.PROTECT, related_name="preservation_holds"
    )
    categories = models.JSONField(_("data categories held"), default=list)
    date_from = models.DateTimeField(_("records from (UTC)"))
    date_to = models.DateTimeField(_("records to (UTC)"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("hold expires (UTC)"))
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    reminded_at = models.DateTimeField(_("expiry reminder sent"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_reason = models.CharField(_("why the hold ended"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("preservation hold")
        verbose_name_plural = _("preservation holds")
        constraints = [
            models.UniqueConstraint(fields=["request", "account"], name="hold_one_per_target"),
            models.CheckConstraint(
                condition=models.Q(date_from__lt=models.F("date_to")), name="hold_dates_ordered"
            ),
        ]
        indexes = [
            # Active holds by expiry: reminders, and the purge's exemption by account.
            models.Index(
                fields=["expires_at"],
                name="hold_active_expiry",
                condition=models.Q(released_at__isnull=True),
            ),
            models.Index(
                fields=["account"],
                name="hold_active_account",
                condition=models.Q(released_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"hold on {self.account_id} for {self.request_id}"
