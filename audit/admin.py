from __future__ import annotations

from django.contrib import admin

from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode, AuditVerification


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the trail is append-only."""

    list_display = ("id", "occurred_at", "actor_username", "action", "target_type", "target_id")
    list_filter = ("action",)
    search_fields = ("actor_username", "action", "target_type", "target_id", "request_id")
    date_hierarchy = "occurred_at"
    ordering = ("-id",)
    show_full_result_count = False
    list_select_related = False
    actions = None

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class _ReadOnly(admin.ModelAdmin):
    actions = None

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditLeaf)
class AuditLeafAdmin(_ReadOnly):
    list_display = ("leaf_index", "event", "sealed_at")
    ordering = ("-leaf_index",)
    show_full_result_count = False


@admin.register(AuditNode)
class AuditNodeAdmin(_ReadOnly):
    list_display = ("level", "position")
    show_full_result_count = False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(_ReadOnly):
    list_display = ("tree_size", "created_at")
    ordering = ("-tree_size",)


@admin.register(AuditVerification)
class AuditVerificationAdmin(_ReadOnly):
    list_display = ("id", "status", "tree_size", "started_at", "finished_at", "first_bad_index")
