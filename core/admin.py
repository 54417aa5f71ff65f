"""The admin of records written only through services: viewable, never added, changed or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """
    Every field read-only and no add, change, delete or bulk action, superusers included: the
    services lock, check and audit each change, and the admin must not bypass them. Fields in
    `exclude` stay hidden.
    """

    actions: Any = None
    show_full_result_count = False

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        listed = list(self.readonly_fields)
        hidden = {*listed, *(self.exclude or ())}
        return [*listed, *(f.name for f in self.model._meta.fields if f.name not in hidden)]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
