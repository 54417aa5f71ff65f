from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

# The privileged role grants' screen (dual control), registered with the rest of the admin.
from accounts import (
    admin_grants,  # noqa: F401
    enrolment,
    mfa,
)
from accounts.admin_step_up import StepUpForRoleChangesAdmin
from accounts.forms_enrolment import UserEnrolForm
from accounts.forms_grants import GuardedUserChangeForm, privileged_groups_added
from accounts.models import ApiToken, AuthFailureWindow, EnrolmentLink, User
from accounts.request_user import signed_in_user
from accounts.roles import SUPERUSER
from accounts.services_grants import RoleGrantError, role_revoke
from accounts.token_services import api_token_revoke
from core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(StepUpForRoleChangesAdmin, BaseUserAdmin):
    list_display = ("username", "email", "roles", "two_step", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")
    actions = ("reset_second_factor", "issue_password_reset_link", "revoke_superuser")
    # New accounts: no password fields; saving issues a one-time enrolment link (add_view).
    add_form = UserEnrolForm
    add_form_template = "accounts/enrol_admin_add_form.html"
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "first_name", "last_name", "email", "roles"),
            },
        ),
    )

    def get_queryset(self, request):
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

    def has_delete_permission(self, request, obj=None):
        # Audit events reference users: deactivate instead of deleting.
        return False

    # Dual control (accounts.services_grants): `groups` may add only unprivileged roles and
    # remove any; a privileged role is a grant that a second administrator approves.
    form = GuardedUserChangeForm

    def get_readonly_fields(self, request, obj=None):
        # Superuser status and one-off permissions would bypass both the role table and dual
        # control, so nobody sets them here, superusers included: superuser status is a
        # grant like a privileged role (revoked with the "Revoke superuser status" action).
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "is_superuser", "user_permissions"]

    def save_related(self, request, form, formsets, change):
        # The form refuses privileged roles in `groups`; this holds for any other form too
        # (the add form), before the groups are written.
        groups = form.cleaned_data.get("groups")
        if groups is not None and privileged_groups_added(user=form.instance, groups=groups):
            raise PermissionDenied
        super().save_related(request, form, formsets, change)

    @admin.action(
        description=_("Revoke superuser status (takes effect now)"),
        permissions=["manage_roles"],
    )
    def revoke_superuser(self, request, queryset):
        revoked = 0
        for user in queryset.filter(is_superuser=True).order_by("pk"):
            try:
                role_revoke(actor=request.user, user=user, role=SUPERUSER)
            except RoleGrantError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                revoked += 1
        self.message_user(
            request,
            ngettext(
                "Superuser status revoked for %(count)d user.",
                "Superuser status revoked for %(count)d users.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Reset two-step verification (remove authenticators and recovery codes)"),
        permissions=["manage_roles"],
    )
    def reset_second_factor(self, request, queryset):
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

    def has_manage_roles_permission(self, request) -> bool:
        return request.user.has_perm("accounts.manage_roles")

    # --- Enrolment links: administrators never choose another person's password -----------

    @method_decorator([sensitive_post_parameters(), csrf_protect])
    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """
        A valid submission creates the account through enrolment.user_enrol (no password,
        unprivileged roles, one audited link) and shows its link once; Django's add view
        only renders the form and its errors.
        """
        if request.method != "POST":
            return super().add_view(request, form_url, extra_context)
        if refused := self.step_up_redirect(request):
            return refused
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = self.get_form(request, None)(request.POST)
        if not form.is_valid():
            return super().add_view(request, form_url, extra_context)
        data = form.cleaned_data
        try:
            user, token = enrolment.user_enrol(
                actor=signed_in_user(request),
                username=data["username"],
                email=data.get("email") or "",
                first_name=data.get("first_name") or "",
                last_name=data.get("last_name") or "",
                roles=data.get("roles") or (),
            )
        except enrolment.EnrolmentLinkRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        except IntegrityError:  # the same username added twice at once
            self.message_user(
                request,
                _("Nothing was saved: an account with this username was just created."),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        self.log_addition(request, user, [{"added": {}}])
        return self.enrolment_link_page(
            request, user=user, token=token, purpose=enrolment.Purpose.ENROL
        )

    def enrolment_link_page(
        self, request: HttpRequest, *, user: User, token: str, purpose: str
    ) -> HttpResponse:
        """The issued link, shown this once and never cached (its own URL holds no token)."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("One-time link for %(username)s") % {"username": user.get_username()},
            "opts": self.opts,
            "account": user,
            "url": request.build_absolute_uri(reverse("accounts:enrol", args=[token])),
            "expires_at": enrolment.enrolment_link_expires_at(token=token),
            "reset": purpose == enrolment.Purpose.RESET,
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "accounts/enrol_link_issued.html", context)
        add_never_cache_headers(response)
        return response

    def issue_enrolment_link(self, request: HttpRequest, user: User) -> HttpResponse:
        purpose = enrolment.enrolment_purpose_for(user=user)
        try:
            token = enrolment.enrolment_link_issue(
                user=user, actor=signed_in_user(request), purpose=purpose
            )
        except enrolment.EnrolmentLinkRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(
                reverse(
                    "admin:accounts_user_change", args=[user.pk], current_app=self.admin_site.name
                )
            )
        return self.enrolment_link_page(request, user=user, token=token, purpose=purpose)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """
        Replaces Django's set-password form: a password set by an administrator is known to
        two people. The page offers a one-time reset link instead; any other submission is
        refused.
        """
        if refused := self.step_up_redirect(request):
            return refused
        user = self.get_object(request, unquote(id))
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if user is None:
            raise Http404(_("No such account."))
        own = user.pk == request.user.pk
        if request.method == "POST":
            if own or "issue_reset_link" not in request.POST:
                raise PermissionDenied
            return self.issue_enrolment_link(request, user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Password of %(username)s") % {"username": user.get_username()},
            "opts": self.opts,
            "account": user,
            "own": own,
            "own_password_url": reverse("accounts:password_change"),
            "purpose": enrolment.enrolment_purpose_for(user=user),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "accounts/enrol_admin_password.html", context)

    @admin.action(description=_("Issue a password reset link"), permissions=["manage_roles"])
    def issue_password_reset_link(self, request, queryset):
        users = list(queryset.order_by("pk")[:2])
        if len(users) != 1:
            self.message_user(
                request,
                _("Select exactly one user: each link is shown once, for one person."),
                messages.ERROR,
            )
            return None
        return self.issue_enrolment_link(request, users[0])


# Django's own group admin, replaced so that a change to a role's permissions needs a step-up
# like a change to who holds the role.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(StepUpForRoleChangesAdmin, BaseGroupAdmin):
    """A group is a role: its permissions are what every holder may do."""


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
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

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": _("API tokens (issue new ones with: manage.py issue_api_token NAME)"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description=_("Scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):
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

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.revoke_apitoken")


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(ReadOnlyAdmin):
    """Issued links, read-only: who issued which link for whom, when it expires or was used."""

    list_display = ("user", "purpose", "issued_by", "issued_at", "expires_at", "used_at")
    list_select_related = ("user", "issued_by")
    exclude = ("token_hash",)


@admin.register(AuthFailureWindow)
class AuthFailureWindowAdmin(ReadOnlyAdmin):
    """Failed sign-ins counted per key and window (read-only)."""

    list_display = ("kind", "window_start", "count", "user", "recorded_at")
    list_filter = ("kind",)
