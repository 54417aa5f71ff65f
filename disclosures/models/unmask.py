"""Every unmasking of a phone number or IP address, for its limits and its review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PiiUnmask(models.Model):
    """
    One unmasked value: who, which account and field, for which open request or which
    listed reason. Unmasks without a request are limited per user per hour
    (`PII_UNMASK_HOURLY_LIMIT`); this table is what the limit counts. The value itself is
    never stored here.
    """

    class Reason(models.TextChoices):
        DATA_QUALITY = "data_quality", _("Data quality check before intake")
        TARGET_IDENTIFICATION = "target_identification", _("Identify a request's target")
        USER_RIGHTS = "user_rights", _("User's own data-access request (GDPR Art. 15)")
        SECURITY_INCIDENT = "security_incident", _("Security incident investigation")
        AUDIT_SAMPLE = "audit_sample", _("Audit sample requested by the auditor")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        "moderation.PlatformAccount", on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(max_length=16)  # "phone" or "ip"
    record_id = models.BigIntegerField(null=True, blank=True)
    request = models.ForeignKey(
        "disclosures.LegalRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unmasks",
    )
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    purpose = models.TextField(_("purpose"))
    # True when this attempt was refused by the hourly limit (kept: the auditor's alarm).
    refused = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("PII unmask")
        verbose_name_plural = _("PII unmasks")
        indexes = [models.Index(fields=["user", "-created_at"], name="unmask_user_recent")]

    def __str__(self) -> str:
        return f"{self.field} of {self.account_id} by {self.user_id}"
