"""
The second step of signing in.

A user who has a second factor (passkey, authenticator app or recovery codes) must answer it
after the password before any page opens; a user whose role is listed in
settings.MFA_REQUIRED_ROLES (and every superuser) must first enrol a passkey or an
authenticator app, and can reach nothing but the enrolment pages until then.

The decision for users who need neither is taken once, at login, and kept in the session, so
their page views cost no extra query; a user who later gains such a role is signed out anyway
(see session_policy), and the next login decides again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

import audit
from accounts import auth_failures, lockout, mfa, reauth
from accounts.request_user import signed_in_user

if TYPE_CHECKING:
    from django_otp.models import Device

    from accounts.models import User

NOT_NEEDED = "_second_factor_not_needed"
EXEMPT = "second_factor_exempt"
ENROLMENT = "second_factor_enrolment"


def second_factor_exempt(view: Callable) -> Callable:
    """Views an unverified user must reach: the verification page itself, logout."""
    setattr(view, EXEMPT, True)
    return view


def enrolment_view(view: Callable) -> Callable:
    """Views a user without any second factor may use to enrol one, and nothing else."""
    setattr(view, ENROLMENT, True)
    return view


def required_for(user: User) -> bool:
    """Whether the user's roles (or superuser status) make a second factor mandatory."""
    return mfa.second_factor_required(user=user)


@receiver(user_logged_in, dispatch_uid="second_factor_login")
def _decide_at_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if mfa.has_second_factor(user=user):
        return
    # The password was just checked and the user has nothing more to give: that is what a
    # step-up would ask of them, so it counts as one (enrolment pages need a fresh step-up).
    reauth.mark_reauthenticated(request)
    if not required_for(user):
        request.session[NOT_NEEDED] = True


def _redirect_to(request: HttpRequest, name: str, message: str) -> HttpResponse:
    next_url = request.get_full_path() if request.method == "GET" else "/"
    url = f"{reverse(name)}?{urlencode({'next': next_url})}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    if message:
        messages.info(request, message)
    return redirect(url)


class SecondFactorMiddleware:
    """Sends signed-in users who still owe a second factor to verify or to enrol one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or request.session.get(NOT_NEEDED):
            return None
        # Public views (login, health check, the token-authenticated API) and the pages of
        # the second step itself.
        if getattr(view_func, "login_required", True) is False or getattr(view_func, EXEMPT, False):
            return None
        if user.is_verified():
            return None
        if mfa.has_second_factor(user=user):
            return _redirect_to(request, "accounts:verify", "")
        if not required_for(user):
            return None
        if getattr(view_func, ENROLMENT, False):
            return None
        return _redirect_to(
            request,
            "accounts:mfa",
            _(
                "Your role requires two-step verification. Add a passkey or an authenticator "
                "app to continue."
            ),
        )


# --- Services ----------------------------------------------------------------------------------


def verify_code(*, request: HttpRequest, code: str) -> bool:
    """
    Check a code typed on the verification page; on success the session is verified (and
    counts as a fresh step-up) under a new session id. Both outcomes are audited, never the
    code itself: a success at once, failures counted per window (accounts.auth_failures).

    A wrong code counts towards the same lockout as a wrong password; while the username is
    locked out from this client no code is even tried.
    """
    device = _check_code(request=request, user=signed_in_user(request), code=code)
    if device is None:
        return False
    django_otp.login(request, device)
    second_step_done(request)
    return True


def second_step_done(request: HttpRequest) -> None:
    """
    The session has just answered its second step: it counts as a fresh step-up, and gets a
    new id, so an id planted or seen before this moment (the password-only session) does not
    carry the verified session.
    """
    reauth.mark_reauthenticated(request)
    request.session.cycle_key()


@transaction.atomic(durable=True)
def _check_code(*, request: HttpRequest, user: User, code: str) -> Device | None:
    # Returns instead of raising, so the device's throttling counter, the lockout count and
    # the failure window are committed rather than rolled back. The user's row lock makes
    # parallel guesses wait here, so each one sees the count left by the one before.
    mfa.factors_lock(user=user)
    username = user.get_username()
    if not lockout.signin_allowed(request=request, username=username):
        lockout.signin_failed(request=request, username=username, kind="code")
        return None
    device = mfa.verify_second_factor(user=user, code=code)
    if device is None:
        lockout.signin_failed(request=request, username=username, kind="code")
        return None
    audit.record(
        action="auth.second_factor_verified",
        actor=user,
        target=user,
        data={"factor": mfa.kind_of(device), "device_id": device.pk},
    )
    return device


def passkey_verified(*, request: HttpRequest, device: Any) -> None:
    """A passkey assertion (with user verification) was accepted for the signed-in user."""
    user = signed_in_user(request)
    with transaction.atomic(durable=True):
        audit.record(
            action="auth.second_factor_verified",
            actor=user,
            target=user,
            data={"factor": "passkey", "device_id": device.pk},
        )
    django_otp.login(request, device)
    second_step_done(request)


def passkey_failed(*, request: HttpRequest) -> None:
    """
    A passkey assertion was refused. Counted in the failure windows like a wrong code, so
    forged assertions cannot grow the trail either; not towards the lockout, since a
    signature cannot be guessed and a browser's glitch should not lock anyone out.
    """
    user = request.user
    if not user.is_authenticated:
        return
    with transaction.atomic(durable=True):
        auth_failures.auth_failure_record(
            kind="code",
            username=user.get_username(),
            ip_address=auth_failures.request_ip(request),
            user=user,
        )
