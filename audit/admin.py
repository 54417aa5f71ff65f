from __future__ import annotations

from django.contrib import admin

from audit.models import AuditEvent


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
