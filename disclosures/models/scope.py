"""The frozen scope a request is approved for, and the approvals of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from disclosures.models.requests import LegalRequest


class Scope(models.Model):
    """
    Exactly what may be released: accounts, data categories, date range, recipient. Frozen
    when submitted for approval as canonical JSON and its SHA-256; never edited afterwards —
    a change makes a new scope and voids this one and its approvals.
    """

    request = models.ForeignKey(LegalRequest, on_delete=models.PROTECT, related_name="scopes")
    canonical_json = models.TextField(_("canonical scope"))
    scope_hash = models.CharField(_("scope SHA-256"), max_length=64, db_index=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # The data pinned at freeze (see disclosures.pins): a digest over the canonical form of
    # every record in scope with its provenance, the record counts per target and category,
    # and one keyed fingerprint per record, so a build can name what changed without values.
    data_digest = models.CharField(_("data digest (SHA-256)"), max_length=64, blank=True)
    record_counts = models.JSONField(_("records per target and category"), default=dict)
    record_fingerprints = models.JSONField(default=dict)
    # The terms-violation link of each target at freeze: {platform id: [case ids]}.
    violation_links = models.JSONField(_("terms-violation cases per target"), default=dict)

    class Meta:
        verbose_name = _("scope")
        verbose_name_plural = _("scopes")
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(voided_at__isnull=True),
                name="scope_one_live_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"scope {self.scope_hash[:12]} of {self.request_id}"


class Approval(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    request = models.ForeignKey(LegalRequest, on_delete=models.PROTECT, related_name="approvals")
    scope = models.ForeignKey(Scope, on_delete=models.PROTECT, related_name="approvals")
    scope_hash = models.CharField(max_length=64)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=12, choices=Decision.choices)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            # One live vote per approver per scope: a double click cannot count twice.
            models.UniqueConstraint(
                fields=["scope", "approver"],
                condition=models.Q(voided_at__isnull=True),
                name="approval_one_per_approver",
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision} by {self.approver_id}"
