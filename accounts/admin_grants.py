"""
The admin's screen for privileged role grants: request one, approve or refuse another
administrator's request, withdraw one's own, revoke a role.

Every submission goes through StepUpForRoleChangesAdmin (a fresh step-up, checked before
anything is read) and then through one service of accounts.services_grants, which applies
the rules of dual control; this module only parses input and presents the outcome. The
admin's own change and add machinery is not used for writes: it runs inside a transaction,
and the services are durable transactions of their own.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import reauth, selectors
from accounts.admin_step_up import StepUpForRoleChangesAdmin
from accounts.forms_grants import RoleGrantRequestForm
from accounts.models import RoleGrant
from accounts.request_user import signed_in_user
from accounts.services_grants import (
    RoleGrantError,
    role_grant_approve,
    role_grant_cancel,
    role_grant_refuse,
    role_grant_request,
    role_revoke,
)

_DECISIONS = ("_approve", "_refuse", "_cancel")


@admin.register(RoleGrant)
class RoleGrantAdmin(StepUpForRoleChangesAdmin):
    list_display = (
        "user",
        "role",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "role")
    list_select_related = ("user", "requested_by", "decided_by")
    search_fields = ("user__username",)
    ordering = (selectors.PENDING_FIRST.asc(), "-requested_at")
    fields = (
        "user",
        "role",
        "reason",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    readonly_fields = fields
    actions = ("approve_selected", "refuse_selected", "revoke_selected")
    change_form_template = "admin/accounts/rolegrant/change_form.html"
    request_form_template = "admin/accounts/rolegrant/request_form.html"

    # --- Who may ------------------------------------------------------------------------------

    def _manages_roles(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.has_perm("accounts.manage_roles")

    def has_view_permission(self, request, obj=None):
        return self._manages_roles(request)

    def has_add_permission(self, request):
        return self._manages_roles(request)

    def has_change_permission(self, request, obj=None):
        # Decisions are buttons and actions that call the services, never an edit.
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the record of who asked and who decided stays

    def has_manage_roles_permission(self, request) -> bool:
        return self._manages_roles(request)

    def get_queryset(self, request):
        return selectors.role_grants_for_admin()

    # --- The list -----------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        waiting = selectors.role_grants_pending_count()
        title = ngettext(
            "Role grant requests (%(count)d waiting for a second administrator)",
            "Role grant requests (%(count)d waiting for a second administrator)",
            waiting,
        ) % {"count": waiting}
        extra_context = {**(extra_context or {}), "title": title}
        return super().changelist_view(request, extra_context=extra_context)

    # --- Requesting ---------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if redirect := self.step_up_redirect(request):
            return redirect
        form = RoleGrantRequestForm(
            request.POST if request.method == "POST" else None, actor=request.user
        )
        if request.method == "POST" and form.is_valid():
            try:
                grant = role_grant_request(
                    actor=request.user,
                    user=form.cleaned_data["user"],
                    role=form.cleaned_data["role"],
                    reason=form.cleaned_data["reason"],
                    reauthenticated_at=reauth.reauthenticated_at(request),
                )
            except RoleGrantError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    _(
                        "Requested %(role)s for %(user)s. It takes effect when another "
                        "administrator approves it."
                    )
                    % {"role": grant.role, "user": grant.user.get_username()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._changelist_url())
        context = {
            **self.admin_site.each_context(request),
            "title": _("Request a privileged role"),
            "opts": self.opts,
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.request_form_template, context)

    # --- Deciding -----------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST" and any(name in request.POST for name in _DECISIONS):
            return self.step_up_redirect(request) or self._decide(request, object_id)
        grant = self.get_object(request, unquote(object_id))
        if grant is not None and grant.status == RoleGrant.Status.PENDING:
            me = request.user.pk
            extra_context = {
                **(extra_context or {}),
                "can_decide": self._manages_roles(request)
                and me not in {grant.requested_by_id, grant.user_id},
                "can_cancel": self._manages_roles(request) and me == grant.requested_by_id,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _decide(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self._manages_roles(request):
            raise PermissionDenied
        try:
            grant_id = int(unquote(object_id))
        except ValueError:
            return HttpResponseRedirect(self._changelist_url())
        note = request.POST.get("decision_note", "")
        actor = signed_in_user(request)
        try:
            if "_approve" in request.POST:
                grant = role_grant_approve(
                    actor=actor,
                    grant_id=grant_id,
                    reauthenticated_at=reauth.reauthenticated_at(request),
                    note=note,
                )
                done = _("Approved: %(user)s holds %(role)s now.")
            elif "_refuse" in request.POST:
                grant = role_grant_refuse(actor=actor, grant_id=grant_id, note=note)
                done = _("Refused: %(user)s does not get %(role)s.")
            else:
                grant = role_grant_cancel(actor=actor, grant_id=grant_id)
                done = _("Withdrawn: the request for %(role)s for %(user)s is closed.")
        except RoleGrantError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        self.message_user(
            request,
            done % {"user": grant.user.get_username(), "role": grant.role},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._changelist_url())

    def _changelist_url(self) -> str:
        return reverse("admin:accounts_rolegrant_changelist")

    # --- Actions on the list ------------------------------------------------------------------

    def _each(self, request, queryset, call, *, status) -> int:
        done = 0
        for grant in queryset.filter(status=status).select_related("user").order_by("pk"):
            try:
                call(grant)
            except RoleGrantError as exc:
                self.message_user(
                    request,
                    f"{grant.user.get_username()}, {grant.role}: {exc.message}",
                    messages.ERROR,
                )
            else:
                done += 1
        return done

    @admin.action(
        description=gettext_lazy("Approve selected requests (the role is given now)"),
        permissions=["manage_roles"],
    )
    def approve_selected(self, request, queryset):
        at = reauth.reauthenticated_at(request)
        done = self._each(
            request,
            queryset,
            lambda grant: role_grant_approve(
                actor=request.user, grant_id=grant.pk, reauthenticated_at=at
            ),
            status=RoleGrant.Status.PENDING,
        )
        self._report(
            request,
            ngettext("%(count)d request approved.", "%(count)d requests approved.", done),
            done,
        )

    @admin.action(
        description=gettext_lazy("Refuse selected requests"), permissions=["manage_roles"]
    )
    def refuse_selected(self, request, queryset):
        done = self._each(
            request,
            queryset,
            lambda grant: role_grant_refuse(actor=request.user, grant_id=grant.pk),
            status=RoleGrant.Status.PENDING,
        )
        self._report(
            request,
            ngettext("%(count)d request refused.", "%(count)d requests refused.", done),
            done,
        )

    @admin.action(
        description=gettext_lazy("Revoke the role of selected approved grants (takes effect now)"),
        permissions=["manage_roles"],
    )
    def revoke_selected(self, request, queryset):
        done = self._each(
            request,
            queryset,
            lambda grant: role_revoke(actor=request.user, user=grant.user, role=grant.role),
            status=RoleGrant.Status.APPROVED,
        )
        self._report(
            request, ngettext("%(count)d role revoked.", "%(count)d roles revoked.", done), done
        )

    def _report(self, request, message: str, count: int) -> None:
        if count:
            self.message_user(request, message % {"count": count}, messages.SUCCESS)
