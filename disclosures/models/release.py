"""What is released, the notice owed to the user, and deadline reminders."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from disclosures.models.requests import LegalRequest
from disclosures.models.scope import Scope


class ReleasePackage(models.Model):
    """
    The package built from an approved scope: data (JSON, CSV), a cover letter and a signed
    manifest. Its files are stored encrypted in private storage and purged after retention.
    """

    class Status(models.TextChoices):
        BUILT = "built", _("Built, awaiting QA")
        QA_PASSED = "qa_passed", _("QA passed")
        QA_FAILED = "qa_failed", _("QA failed")
        RELEASED = "released", _("Released")
        PURGED = "purged", _("Purged")
        # Replaced by a newer build before release; its file is deleted at once.
        SUPERSEDED = "superseded", _("Superseded by a newer build")

    # The unreleased package a request may have at most one of.
    LIVE = (Status.BUILT, Status.QA_PASSED, Status.QA_FAILED)

    # QA runs once per build; a rebuild supersedes what was not released. Any package that
    # still holds a file is purged at the end of its retention period, released or not.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.BUILT: frozenset(
            {Status.QA_PASSED, Status.QA_FAILED, Status.SUPERSEDED, Status.PURGED}
        ),
        Status.QA_PASSED: frozenset({Status.RELEASED, Status.SUPERSEDED, Status.PURGED}),
        Status.QA_FAILED: frozenset({Status.SUPERSEDED, Status.PURGED}),
        Status.RELEASED: frozenset({Status.PURGED}),
        Status.PURGED: frozenset(),
        Status.SUPERSEDED: frozenset(),
    }

    request = models.ForeignKey(LegalRequest, on_delete=models.PROTECT, related_name="packages")
    scope = models.ForeignKey(Scope, on_delete=models.PROTECT, related_name="packages")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BUILT)
    manifest = models.JSONField(_("manifest"))
    manifest_sha256 = models.CharField(max_length=64)
    signature = models.TextField(_("Ed25519 signature of the manifest (base64)"))
    storage_path = models.CharField(max_length=300, blank=True)
    qa_report = models.JSONField(default=dict, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    built_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    downloads_left = models.PositiveSmallIntegerField(default=0)
    purge_after = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("release package")
        verbose_name_plural = _("release packages")
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status="released"),
                name="package_one_release_per_request",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status__in=["built", "qa_passed", "qa_failed"]),
                name="package_one_live_per_request",
            ),
        ]

    def __str__(self) -> str:
        return f"package {self.manifest_sha256[:12]}"


class UserNotice(models.Model):
    """The notice owed to a user whose data was released, sent now or deferred."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DEFERRED = "deferred", _("Deferred")
        SENT = "sent", _("Sent")

    # DEFERRED -> DEFERRED: the reason or the date it waits for changed.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.QUEUED: frozenset({Status.SENT, Status.DEFERRED}),
        Status.DEFERRED: frozenset({Status.SENT, Status.DEFERRED}),
        Status.SENT: frozenset(),
    }

    request = models.ForeignKey(LegalRequest, on_delete=models.PROTECT, related_name="notices")
    account = models.ForeignKey(
        "moderation.PlatformAccount", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    deferred_reason = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)  # null with DEFERRED: no known end
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("user notice")
        verbose_name_plural = _("user notices")
        constraints = [
            models.UniqueConstraint(fields=["request", "account"], name="notice_one_per_account")
        ]

    def __str__(self) -> str:
        return f"notice {self.status} for {self.account_id}"


class DeadlineReminder(models.Model):
    """A reminder sent at 50, 75 or 90 % of a request's time, or its breach (100)."""

    request = models.ForeignKey(LegalRequest, on_delete=models.CASCADE, related_name="reminders")
    threshold = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(fields=["request", "threshold"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.threshold}% reminder for {self.request_id}"
