"""Subscriber data that may be released: each platform account's phone number and IP records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from disclosures.crypto import EncryptedTextField


class SubscriberPhone(models.Model):
    """An account's phone number (E.164), encrypted at rest, found by its blind index."""

    account = models.OneToOneField(
        "moderation.PlatformAccount", on_delete=models.PROTECT, related_name="subscriber_phone"
    )
    phone = EncryptedTextField(_("phone number (E.164)"))
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subscriber phone number")
        verbose_name_plural = _("subscriber phone numbers")

    def __str__(self) -> str:
        return f"phone of {self.account_id}"


class SubscriberIp(models.Model):
    """One connection record of an account: IP address (v4 or v6), source port, UTC time."""

    account = models.ForeignKey(
        "moderation.PlatformAccount", on_delete=models.PROTECT, related_name="subscriber_ips"
    )
    ip = EncryptedTextField(_("IP address"))
    ip_index = models.CharField(max_length=64, db_index=True, editable=False)
    port = models.PositiveIntegerField(_("source port"), null=True, blank=True)
    seen_at = models.DateTimeField(_("seen at (UTC)"))

    class Meta:
        verbose_name = _("subscriber IP record")
        verbose_name_plural = _("subscriber IP records")
        indexes = [models.Index(fields=["account", "seen_at"], name="subscriber_ip_range")]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "ip_index", "port", "seen_at"], name="subscriber_ip_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(port__isnull=True) | models.Q(port__lte=65535),
                name="subscriber_ip_port_range",
            ),
        ]

    def __str__(self) -> str:
        return f"IP record of {self.account_id} at {self.seen_at:%Y-%m-%d %H:%M}"
