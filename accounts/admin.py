from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import mfa
from accounts.models import ApiToken, User
from accounts.token_services import api_token_revoke


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "roles", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")
    actions = ("reset_second_factor",)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("Roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(obj.role_names)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Audit events reference users: deactivate instead of deleting.
        return False

    @admin.action(
        description=_("Reset two-step verification (remove authenticators and recovery codes)"),
        permissions=["manage_roles"],
    )
    def reset_second_factor(self, request, queryset):  # type: ignore[no-untyped-def]
        reset = 0
        for user in queryset.order_by("pk"):
            mfa.mfa_reset(user=user, actor=request.user)
            reset += 1
        self.message_user(
            request,
            ngettext(
                "Two-step verification reset for %(count)d user.",
                "Two-step verification reset for %(count)d users.",
                reset,
            )
            % {"count": reset},
            messages.SUCCESS,
        )

    def has_manage_roles_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return request.user.has_perm("accounts.manage_roles")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """
    Read-only list of the API's service tokens, with revocation.

    Tokens are issued with `manage.py issue_api_token NAME --scope ...`, which prints the
    secret once: the admin never sees it, so it cannot add tokens, and nothing is deleted
    because audit events refer to tokens.
    """

    list_display = ("name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    ordering = ("name",)
    readonly_fields = ("name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ("revoke_selected",)

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        extra_context = {
            **(extra_context or {}),
            "title": _("API tokens (issue new ones with: manage.py issue_api_token NAME)"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description=_("Scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):  # type: ignore[no-untyped-def]
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).order_by("pk"):
            api_token_revoke(token=token, actor=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )

    def has_revoke_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return request.user.has_perm("accounts.revoke_apitoken")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
