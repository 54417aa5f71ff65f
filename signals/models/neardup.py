"""
Near-duplicate groups: copies of one text (MinHash/LSH) or one image (PDQ) reported across
chats gather in a group, so moderators see them together and can decide once for all.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DuplicateGroup(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Near-identical text")
        IMAGE = "image", _("Near-identical image")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # Denormalised for the list and the case page: how many cases the group holds.
    size = models.PositiveIntegerField(_("cases"), default=0)
    # A short, escaped preview (text) or the media hash (image) that stands for the group.
    exemplar = models.CharField(_("exemplar"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when this group was merged into another (a report linked two groups).
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("near-duplicate group")
        verbose_name_plural = _("near-duplicate groups")
        indexes = [models.Index(fields=["kind", "-size", "id"], name="dup_group_size")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} group {self.pk}"


class DuplicateMember(models.Model):
    """A case in a group (one group per kind per case), through the report that linked it."""

    group = models.ForeignKey(DuplicateGroup, on_delete=models.CASCADE, related_name="members")
    case = models.ForeignKey("moderation.Case", on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(
        "moderation.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=DuplicateGroup.Kind.choices)
    # Estimated Jaccard (text) or 1 - distance/256 (image) to the member it matched.
    similarity = models.FloatField(_("similarity"), default=1.0)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="dup_member_one_group_per_kind")
        ]
        indexes = [models.Index(fields=["group", "id"], name="dup_member_group")]

    def __str__(self) -> str:
        return f"case {self.case_id} in group {self.group_id}"


class TextSignature(models.Model):
    """
    A report's MinHash signature. The scheme (datasketch's hash scheme, num_perm and seed) is
    stored with it: signatures of different schemes cannot be compared.
    """

    report = models.OneToOneField(
        "moderation.Report", on_delete=models.CASCADE, related_name="text_signature"
    )
    scheme = models.CharField(_("scheme"), max_length=40)
    signature = models.BinaryField(_("signature"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("text signature")
        verbose_name_plural = _("text signatures")

    def __str__(self) -> str:
        return f"signature of report {self.report_id}"


class TextBand(models.Model):
    """
    One LSH band of a signature: reports sharing a (band, bucket) are candidates, checked
    by their estimated Jaccard before they join a group. A btree on (band, bucket) keeps the
    lookup an index probe at a million reports.
    """

    band = models.PositiveSmallIntegerField()
    bucket = models.BigIntegerField()
    report = models.ForeignKey("moderation.Report", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("text band")
        verbose_name_plural = _("text bands")
        indexes = [models.Index(fields=["band", "bucket"], name="text_band_bucket")]

    def __str__(self) -> str:
        return f"band {self.band} bucket {self.bucket}"
