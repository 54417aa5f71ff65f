from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "roles", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("Roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(obj.role_names)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Audit events reference users: deactivate instead of deleting.
        return False
