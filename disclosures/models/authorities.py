"""The registry of authorities and their contact channels, verified from official directories."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Authority(models.Model):
    class Type(models.TextChoices):
        COURT = "court", _("Court")
        INVESTIGATING_JUDGE = "investigating_judge", _("Investigating judge")
        PROSECUTOR = "prosecutor", _("Prosecutor")
        POLICE = "police", _("Police")
        ADMINISTRATIVE = "administrative", _("Administrative authority")

    class Status(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        SUSPENDED = "suspended", _("Suspended")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.VERIFIED: frozenset({Status.SUSPENDED}),
        Status.SUSPENDED: frozenset({Status.VERIFIED}),
    }

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country (ISO 3166-1 alpha-2)"), max_length=2)
    type = models.CharField(_("type"), max_length=24, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.VERIFIED
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")
        ordering = ["country", "name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "name"], name="authority_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class AuthorityContact(models.Model):
    """
    A channel to reach an authority, taken from an official directory — never from a request,
    since forged requests carry the forger's own numbers.
    """

    class Kind(models.TextChoices):
        EMAIL_DOMAIN = "email_domain", _("E-mail domain")
        PHONE = "phone", _("Switchboard phone")
        PORTAL = "portal", _("Portal")
        ECODEX = "ecodex", _("e-CODEX / decentralised IT system id")
        POSTAL = "postal", _("Postal address")

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=300)
    directory_source = models.CharField(_("official directory it was taken from"), max_length=300)
    verified_at = models.DateTimeField(_("verified"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("authority contact")
        verbose_name_plural = _("authority contacts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
