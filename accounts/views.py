from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_otp
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

import audit
from accounts import dashboard as dashboard_widgets
from accounts import lockout, mfa, navigation, reauth
from accounts import permissions as account_permissions
from accounts import selectors as account_selectors
from accounts.request_user import signed_in_user
from accounts.roles import role_display
from audit import alarms as audit_alarms
from audit import selectors as audit_selectors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit.record(action="auth.password_changed", target=signed_in_user(self.request))
        messages.success(self.request, _("Your password was changed."))
        return response


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """
    Each role's work as a to-do list: the widgets the apps register (accounts.dashboard),
    the auditor's alarm panels, and the user's recent activity told as sentences.
    """
    user = signed_in_user(request)
    sections = [
        item
        for item in navigation.entries()
        if item.url_name != navigation.DASHBOARD and item.allowed(user)
    ]
    alarm_panels = audit_alarms.panels_for(request)
    events = audit_selectors.recent_events_by_actor(actor=user, limit=8)
    return render(
        request,
        "accounts/dashboard.html",
        {
            "roles": [role_display(name) for name in user.role_names],
            "sections": sections,
            "widgets": dashboard_widgets.widgets_for(user),
            "recent_activity": dashboard_widgets.activity_lines(events, viewer=user),
            "alarm_panels": alarm_panels,
            "alarms_raised": sum(1 for panel in alarm_panels if panel.alarming),
            # Dual control: a newly granted role waits; administrators see grants waiting.
            "cooling_off_until": account_selectors.cooling_off_until(user),
            "pending_grants": (
                account_selectors.role_grants_pending_count()
                if account_permissions.can_manage_roles(user)
                else None
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """
    Ask for the password again before a sensitive step, with a second-factor code for users
    who have one. One answer for any refusal, so a guess never learns which part was wrong;
    refusals count towards the lockout, and a session that locks its account out is ended.
    """
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    error: StrOrPromise = ""
    if request.method == "POST":
        try:
            device = reauth.reauth_verify(
                request=request,
                password=request.POST.get("password", ""),
                code=request.POST.get("code", ""),
            )
        except reauth.ReauthFailed as failed:
            if failed.reason == "passkey":
                error = _("Confirm with your passkey.")
            elif mfa.has_code_factor(user=request.user):
                error = _("The password or the code is not right.")
            else:
                error = _("That password is not correct.")
            # The lockout page replaces this answer (axes.middleware.AxesMiddleware).
            lockout.session_end_if_locked_out(request)
        else:
            reauth.mark_reauthenticated(request)
            if device is not None:
                django_otp.login(request, device)
            return redirect(next_url)
    return render(
        request,
        "accounts/reauth.html",
        {
            "next": next_url,
            "error": error,
            "needs_code": reauth.needs_second_factor(request.user),
            "has_passkey": mfa.has_passkey(user=request.user),
        },
    )
