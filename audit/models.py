from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.actions import ACTION_PATTERN, label_for

action_validator = RegexValidator(ACTION_PATTERN, _("Use a dotted lower-case name."))


class AuditEventManager(models.Manager["AuditEvent"]):
    """Reads leave out `canonical_body`: only the sealer needs it, and it reads it in SQL."""

    def get_queryset(self) -> models.QuerySet[AuditEvent]:
        return super().get_queryset().defer("canonical_body")


class AuditEvent(models.Model):
    """
    One sensitive act: who did what, to what, when, from where.

    Append-only: database triggers (see migration 0002) reject UPDATE and DELETE, so a row
    is never rewritten. Tamper evidence (leaf indexes, Merkle tree, signed checkpoints)
    lives in separate append-only tables that reference these rows, so it can be added
    without touching history. PII never appears in clear: refer to it by id or
    `audit.pii_digest()`.
    """

    occurred_at = models.DateTimeField(_("when (UTC)"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        # PROTECT: deleting a user must not rewrite (SET_NULL) or erase (CASCADE) history.
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("actor username (snapshot)"), max_length=150, blank=True)
    actor_roles = models.JSONField(_("actor roles (snapshot)"), default=list, blank=True)
    ip_address = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=64, validators=[action_validator])
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    data = models.JSONField(_("payload"), default=dict, blank=True)
    # Written by audit.record() in the event's own INSERT so that the sealer hashes instead of
    # re-encoding: the canonical text without the two members the database settles (the id
    # it numbers, the address its inet type normalises), which the sealer splices back in
    # (audit.log.encoding). Verifiers never read it: they re-derive the bytes from the fields
    # above, so a field changed after recording, before or after sealing, no longer matches
    # its leaf. Null for events written some other way; the sealer then encodes the fields.
    # Null rather than "": a NOT NULL column made SQLite rebuild the table, dropping its
    # append-only triggers, and raw COPYs of older column lists still load.
    canonical_body = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001

    objects = AuditEventManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ("view",)
        permissions = [
            ("view_audit_trail", _("Can browse the audit trail")),
            ("verify_audit_trail", _("Can verify the audit trail's integrity")),
        ]
        indexes = [
            models.Index(fields=["action", "-id"], name="audit_action_id"),
            models.Index(fields=["actor", "-id"], name="audit_actor_id"),
            models.Index(fields=["target_type", "target_id", "-id"], name="audit_target_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(action=""), name="audit_action_not_empty"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"

    @property
    def actor_label(self) -> str:
        return self.actor_username or str(_("system"))

    @property
    def action_label(self) -> str:
        """The registered label of the action (audit.actions), or the code for an old one."""
        return label_for(self.action)


class AuditLeaf(models.Model):
    """
    An event's place in the Merkle log: a gapless leaf index given by the sealer, and the
    leaf hash SHA-256(0x00 || canonical event bytes). Append-only like the events.
    """

    leaf_index = models.BigIntegerField(_("leaf index"), primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="leaf")
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)
    sealed_at = models.DateTimeField(_("sealed"), default=timezone.now)

    class Meta:
        verbose_name = _("audit log leaf")
        verbose_name_plural = _("audit log leaves")

    def __str__(self) -> str:
        return f"leaf {self.leaf_index}"


class AuditNode(models.Model):
    """
    The hash of one perfect subtree of the log: level L, position i covers the leaves
    [i * 2^L, (i + 1) * 2^L). Stored once complete, so any proof needs O(log n) reads.
    """

    level = models.PositiveSmallIntegerField()
    position = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("audit log node")
        verbose_name_plural = _("audit log nodes")
        constraints = [
            models.UniqueConstraint(fields=["level", "position"], name="audit_node_unique")
        ]

    def __str__(self) -> str:
        return f"node {self.level}/{self.position}"


class AuditCheckpoint(models.Model):
    """A signed checkpoint (C2SP tlog-checkpoint note) committing to the log's size and root."""

    tree_size = models.BigIntegerField(_("tree size"), unique=True)
    root_hash = models.BinaryField(_("root hash"), max_length=32)
    note = models.TextField(_("signed note"))
    created_at = models.DateTimeField(_("signed"), default=timezone.now)

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"


class AuditVerification(models.Model):
    """A run of the integrity verification (not part of the log: it can be re-run any time)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PASSED = "passed", _("Intact")
        FAILED = "failed", _("Tampering detected")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.RUNNING: frozenset({Status.PASSED, Status.FAILED}),
        Status.PASSED: frozenset(),
        Status.FAILED: frozenset(),
    }

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    progress = models.PositiveSmallIntegerField(default=0)
    # Written while a worker runs the check: a stale heartbeat means the worker is gone.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    tree_size = models.BigIntegerField(default=0)
    message = models.TextField(blank=True)
    first_bad_index = models.BigIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("integrity verification")
        verbose_name_plural = _("integrity verifications")

    def __str__(self) -> str:
        return f"verification {self.pk} {self.status}"
