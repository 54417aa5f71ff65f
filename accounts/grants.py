"""
Dual control over privileged access: models of role-grant requests, enrolment links and the
windows in which failed sign-ins are counted before they reach the audit trail.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RoleGrant(models.Model):
    """
    A request to give `user` a privileged role. It takes effect only when a different
    Administrator approves it; nobody requests a privileged role for themself, and nobody
    approves their own request (database constraints, and the services' checks).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second administrator")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled")

    # A grant is decided once: approved, refused or withdrawn by its requester.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.PENDING: frozenset({Status.APPROVED, Status.REFUSED, Status.CANCELLED}),
        Status.APPROVED: frozenset(),
        Status.REFUSED: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="role_grants",
        verbose_name=_("account"),
    )
    role = models.CharField(_("role"), max_length=32)  # a Role value, or "superuser"
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("role grant request")
        verbose_name_plural = _("role grant requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(status="pending"),
                name="grant_one_pending_per_role",
            ),
            models.CheckConstraint(
                condition=~Q(requested_by=F("user")), name="grant_not_for_oneself"
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | (~Q(decided_by=F("requested_by")) & ~Q(decided_by=F("user"))),
                name="grant_decided_by_another",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"], name="grant_queue"),
            models.Index(fields=["user", "status", "-decided_at"], name="grant_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.role} for {self.user_id} ({self.status})"


class EnrolmentLink(models.Model):
    """
    A one-time link where an account's owner sets their own password (and then enrols a
    second factor): for a new account, or a password reset. Only its SHA-256 is stored;
    it expires, works once, and a newer link for the same account revokes the older one.
    """

    class Purpose(models.TextChoices):
        ENROL = "enrol", _("New account")
        RESET = "reset", _("Password reset")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolment_links"
    )
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment link")
        verbose_name_plural = _("enrolment links")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="enrolment_one_live_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link for {self.user_id}"


class AuthFailureWindow(models.Model):
    """
    Failed sign-ins (password, second-factor code, step-up) counted per key and window, so
    that a flood writes one audit event per key and window carrying the count, instead of
    one per attempt. `key` is a keyed digest of the username and client address.
    """

    kind = models.CharField(max_length=16)  # "login", "code", "step_up"; "lockout" marks a lock
    key = models.CharField(max_length=64)
    # Written into the window's event: the attempted username as a keyed digest ("" when the
    # client address was refused as a whole) and the client address the failures came from.
    username_digest = models.CharField(max_length=64, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    last_at = models.DateTimeField()
    recorded_at = models.DateTimeField(null=True, blank=True)  # when its event was written

    class Meta:
        verbose_name = _("failed sign-in window")
        verbose_name_plural = _("failed sign-in windows")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "window_start"], name="auth_failure_one_window"
            )
        ]
        indexes = [
            models.Index(
                fields=["window_start"],
                name="auth_failure_unrecorded",
                condition=Q(recorded_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} failures ×{self.count}"
