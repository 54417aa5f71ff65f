from __future__ import annotations

from django.contrib import admin

from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode, AuditVerification
from core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included: the trail is append-only."""

    list_display = ("id", "occurred_at", "actor_username", "action", "target_type", "target_id")
    list_filter = ("action",)
    search_fields = ("actor_username", "action", "target_type", "target_id", "request_id")
    date_hierarchy = "occurred_at"
    ordering = ("-id",)
    list_select_related = False
    exclude = ("canonical_body",)  # the sealer's copy of the fields shown, not for reading


@admin.register(AuditLeaf)
class AuditLeafAdmin(ReadOnlyAdmin):
    list_display = ("leaf_index", "event", "sealed_at")
    ordering = ("-leaf_index",)


@admin.register(AuditNode)
class AuditNodeAdmin(ReadOnlyAdmin):
    list_display = ("level", "position")


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("tree_size", "created_at")
    ordering = ("-tree_size",)


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "tree_size", "started_at", "finished_at", "first_bad_index")
