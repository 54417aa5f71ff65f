"""Hash banks: lists of known media hashes that reported media is matched against."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

BANK_NAME = RegexValidator(
    r"^[A-Z][A-Z0-9_]{1,62}$", _("Use capitals, digits and underscores (e.g. CSAM_KNOWN).")
)


class SignalsAccess(models.Model):
    """Holder of the signals app's permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_hash_banks", _("Can see hash banks and their matches")),
            ("manage_hash_banks", _("Can create hash banks, import and disable hashes")),
            ("view_detectors", _("Can see detectors, their modes, models and measured precision")),
            (
                "manage_detectors",
                _("Can change a detector's mode and the automatic-action thresholds"),
            ),
            ("review_automated_actions", _("Can review the sample of automatic actions")),
            ("train_models", _("Can retrain the classifier now")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class HashBank(models.Model):
    """
    A named list of hashes (Meta's HMA "bank"): its PDQ distance threshold, and the share of
    lookups it takes part in (gradual rollout: `match_percent` of 100 matches every time).
    """

    name = models.CharField(_("name"), max_length=63, unique=True, validators=[BANK_NAME])
    description = models.CharField(_("description"), max_length=300, blank=True)
    # What a match suggests the content is (None: the bank does not say).
    category = models.ForeignKey(
        "moderation.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("category"),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    pdq_threshold = models.PositiveSmallIntegerField(
        _("PDQ distance threshold"), default=31, validators=[MaxValueValidator(256)]
    )
    match_percent = models.PositiveSmallIntegerField(
        _("matching share (%)"), default=100, validators=[MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("hash bank")
        verbose_name_plural = _("hash banks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BankedHash(models.Model):
    """One hash in a bank; disabled (not deleted) when it should stop matching."""

    class SignalType(models.TextChoices):
        PDQ = "pdq", _("PDQ (images)")
        MD5 = "md5", _("MD5")
        SHA256 = "sha256", _("SHA-256")

    bank = models.ForeignKey(HashBank, on_delete=models.PROTECT, related_name="hashes")
    signal_type = models.CharField(_("signal type"), max_length=8, choices=SignalType.choices)
    value = models.CharField(_("hash"), max_length=64)
    label = models.CharField(_("label"), max_length=120, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "Bank it": the decision whose media this hash came from ("matches decision #N").
    source_decision = models.ForeignKey(
        "moderation.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("banked hash")
        verbose_name_plural = _("banked hashes")
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "signal_type", "value"], name="banked_hash_unique_in_bank"
            )
        ]
        indexes = [
            # Exact lookups (MD5, SHA-256) and the PDQ index's load: enabled hashes by type.
            models.Index(
                fields=["signal_type", "value"],
                name="banked_hash_active",
                condition=models.Q(disabled_at__isnull=True),
            ),
            models.Index(fields=["bank", "id"], name="banked_hash_bank"),
        ]

    def __str__(self) -> str:
        return f"{self.bank.name} {self.signal_type}:{self.value[:16]}"


class MatchCursor(models.Model):
    """
    How far matching has gone: every report with an id up to `last_report_id` was matched
    against the banks. The relay matches whatever lies beyond, so a report is matched even if
    the task published at intake was lost to a broker outage.
    """

    name = models.CharField(max_length=32, unique=True)
    last_report_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at report {self.last_report_id}"
