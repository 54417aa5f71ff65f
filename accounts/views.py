from __future__ import annotations

from typing import Any

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
from accounts import mfa, reauth
from accounts.context_processors import NAVIGATION
from audit import alarms as audit_alarms
from audit import selectors as audit_selectors


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit.record(action="auth.password_changed", target=self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return response


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    sections = [item for item in NAVIGATION[1:] if item.allowed(user)]
    return render(
        request,
        "accounts/dashboard.html",
        {
            "roles": user.role_names,  # type: ignore[union-attr]
            "sections": sections,
            "recent_activity": audit_selectors.recent_events_by_actor(actor=user, limit=8),
            "alarm_panels": audit_alarms.panels_for(request),
        },
    )


@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """
    Ask for the password again before a sensitive step, with a second-factor code for users
    who have one; failures are audited.
    """
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    error = ""
    if request.method == "POST":
        try:
            device = reauth.reauth_verify(
                user=request.user,
                password=request.POST.get("password", ""),
                code=request.POST.get("code", ""),
            )
        except reauth.ReauthFailed as failed:
            if failed.reason == "password":
                error = _("That password is not correct.")
            elif mfa.has_code_factor(user=request.user):
                error = _("That code is not correct or was already used. Try the current one.")
            else:
                error = _("Confirm with your passkey.")
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
