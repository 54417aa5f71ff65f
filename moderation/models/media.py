"""Evidence preserved at report time: the reported media itself, and the holds that keep it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Media(models.Model):
    """
    One piece of reported media, content-addressed by its SHA-256: the same bytes sent twice
    are one row and one file. The bytes are stored encrypted in private storage; the hashes
    (SHA-256, MD5 and, for images, PDQ with its quality) stay after a retention purge removes
    the file, so detectors can still match it.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    md5 = models.CharField(_("MD5"), max_length=32, db_index=True)
    pdq = models.CharField(_("PDQ hash"), max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(_("PDQ quality"), null=True, blank=True)
    # The PDQ hashes of the image's 8 rotations and flips (pdqhash.compute_dihedral), so a
    # rotated or mirrored copy of a banked image still matches.
    pdq_dihedral = models.JSONField(_("PDQ dihedral hashes"), default=list, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    mime = models.CharField(_("type (detected)"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    # Set when the retention purge deleted the files; the row and its hashes remain.
    purged_at = models.DateTimeField(_("purged"), null=True, blank=True)

    class Meta:
        verbose_name = _("media item")
        verbose_name_plural = _("media items")
        indexes = [
            models.Index(fields=["pdq"], name="media_pdq", condition=~models.Q(pdq="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]}"


class EvidenceHold(models.Model):
    """
    A legal hold on one platform account's evidence: while it is in force, no purge touches
    the account's reports, their context or their media. Placed by a preservation order or a
    legal request that names the account (the disclosures app), released the same way.
    """

    account = models.ForeignKey(
        "moderation.PlatformAccount", on_delete=models.PROTECT, related_name="evidence_holds"
    )
    # What placed it, as (model label, id) like audit targets: e.g. a legal request.
    source_type = models.CharField(max_length=64)
    source_id = models.CharField(max_length=64)
    reason = models.CharField(_("reason"), max_length=200)
    placed_at = models.DateTimeField(_("placed"), auto_now_add=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("evidence hold")
        verbose_name_plural = _("evidence holds")
        constraints = [
            # One hold in force per account and source: placing it twice changes nothing.
            models.UniqueConstraint(
                fields=["account", "source_type", "source_id"],
                condition=models.Q(released_at__isnull=True),
                name="evidence_hold_one_active_per_source",
            )
        ]
        indexes = [
            models.Index(
                fields=["account"],
                name="evidence_hold_active",
                condition=models.Q(released_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Hold on {self.account} ({self.source_type} {self.source_id})"
