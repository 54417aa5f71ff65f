from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import mfa, reauth
from accounts.models import ApiToken, User
from accounts.token_services import api_token_revoke

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StepUpForRoleChangesAdmin(admin.ModelAdmin):
    """
    An admin whose every submission needs a fresh step-up: the password again, and the
    second factor for those who have one.

    Whoever holds an administrator's session could otherwise grant themselves or anyone a role,
    a permission or superuser status in one click. The check runs before the admin reads the
    form, so a refused submission changes nothing; the user confirms it is them and is sent
    back to the page they submitted from, where they make the change again.
    """

    def step_up_redirect(self, request: HttpRequest) -> HttpResponse | None:
        """A redirect to the confirmation page for a submission without a fresh step-up."""
        if request.method in _SAFE_METHODS:
            return None
        if reauth.is_fresh(reauth.reauthenticated_at(request)):
            return None
        messages.warning(
            request,
            _(
                "Changing roles, permissions or accounts needs you to confirm it is you. "
                "Nothing was saved: confirm, then make the change again."
            ),
        )
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('accounts:reauth')}?{query}")

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return self.step_up_redirect(request) or super().changeform_view(
            request, object_id, form_url, extra_context
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Actions and list_editable are submitted to the changelist.
        return self.step_up_redirect(request) or super().changelist_view(request, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self.step_up_redirect(request) or super().delete_view(
            request, object_id, extra_context
        )


@admin.register(User)
class UserAdmin(StepUpForRoleChangesAdmin, BaseUserAdmin):
    list_display = ("username", "email", "roles", "two_step", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")
    actions = ("reset_second_factor",)

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        # Which second factors each user has, in the list query itself (no query per row).
        confirmed = {"user": OuterRef("pk"), "confirmed": True}
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(
                has_passkey=Exists(WebAuthnCredential.objects.filter(**confirmed)),
                has_totp=Exists(TOTPDevice.objects.filter(**confirmed)),
            )
        )

    @admin.display(description=_("Roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(obj.role_names)

    @admin.display(description=_("Two-step"))
    def two_step(self, obj: User) -> str:
        kinds = []
        if getattr(obj, "has_passkey", False):
            kinds.append(str(_("passkey")))
        if getattr(obj, "has_totp", False):
            kinds.append(str(_("app")))
        return ", ".join(kinds) or str(_("none"))

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Audit events reference users: deactivate instead of deleting.
        return False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Roles are granted as groups. Superuser status and one-off permissions would bypass
        # the role table, so only a superuser may set them (an Administrator cannot make
        # themselves one).
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

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

    @method_decorator(sensitive_post_parameters())
    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # A new password is a way into the account and every role it holds.
        return self.step_up_redirect(request) or super().user_change_password(request, id, form_url)


# Django's own group admin, replaced so that a change to a role's permissions needs a step-up
# like a change to who holds the role.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(StepUpForRoleChangesAdmin, BaseGroupAdmin):
    """A group is a role: its permissions are what every holder may do."""


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
