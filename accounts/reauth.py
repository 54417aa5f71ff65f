"""
Fresh re-authentication for the most sensitive steps (approving, releasing, unmasking PII,
changing one's second factors): the user types their password again and, when they have a
second factor, a current authenticator code or an unused recovery code. The moment is kept in
the session and checked by the services.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

import audit
from accounts import lockout, mfa
from accounts.request_user import signed_in_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest
    from django_otp.models import Device

    from accounts.models import User

SESSION_KEY = "reauthenticated_at"


class ReauthFailed(Exception):
    """The confirmation was refused: "wrong", "locked" or "passkey" (see reauth_verify)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mark_reauthenticated(request: Any) -> None:
    request.session[SESSION_KEY] = int(time.time())


def reauthenticated_at(request: Any) -> int | None:
    value = request.session.get(SESSION_KEY)
    return int(value) if value else None


def is_fresh(at: int | None, *, now: float | None = None) -> bool:
    if not at:
        return False
    return (now or time.time()) - at <= settings.REAUTH_MAX_AGE_SECONDS


def needs_second_factor(user: User | AnonymousUser) -> bool:
    """Whether the confirmation form asks for a typed code (passkeys answer on their own)."""
    return mfa.has_code_factor(user=user)


def reauth_verify(*, request: HttpRequest, password: str, code: str = "") -> Device | None:
    """
    Check the password and, for users with a code factor, the code, together; return the
    device that accepted the code (None without one), or raise ReauthFailed.

    The reason is "passkey" for a user whose only second factor is a passkey (the form is
    not theirs: nothing is checked), "wrong" when the password or the code or both were not
    accepted, without saying which, and "locked" while this username is locked out from this
    client. Each refusal but "passkey" counts towards the same lockout as a wrong password
    at login, and in the failed step-up windows of the trail; a success is audited with the
    kind of factor, never the password or the code.
    """
    user = signed_in_user(request)
    if mfa.has_passkey(user=user) and not mfa.has_code_factor(user=user):
        raise ReauthFailed("passkey")
    device, failure = _reauth_check(request=request, user=user, password=password, code=code)
    if failure:
        raise ReauthFailed(failure)
    return device


@transaction.atomic(durable=True)
def _reauth_check(
    *, request: HttpRequest, user: User, password: str, code: str
) -> tuple[Device | None, str]:
    # Returns instead of raising, so the device's throttling counter, the lockout count and
    # the failure window are committed rather than rolled back. The user's row lock makes
    # parallel attempts wait here, so each one sees the count left by the one before.
    mfa.factors_lock(user=user)
    username = user.get_username()
    if not lockout.signin_allowed(request=request, username=username):
        lockout.signin_failed(request=request, username=username, kind="step_up")
        return None, "locked"
    password_ok = user.check_password(password or "")
    device = None
    if mfa.has_code_factor(user=user):
        # Both are always checked, so neither the answer nor the work done tells which one
        # was wrong. A right code with a wrong password is not used up (nor the
        # authenticator's time step): its effects are rolled back to the savepoint.
        with transaction.atomic():
            device = mfa.verify_second_factor(user=user, code=code)
            if device is not None and not password_ok:
                transaction.set_rollback(True)
        if device is None:
            password_ok = False
    if not password_ok:
        lockout.signin_failed(request=request, username=username, kind="step_up")
        return None, "wrong"
    factor = mfa.kind_of(device) if device is not None else "password"
    audit.record(action="auth.reauthenticated", actor=user, target=user, data={"factor": factor})
    return device, ""
