"""
Fresh re-authentication for the most sensitive steps (approving, releasing, unmasking PII,
changing one's second factors): the user types their password again and, when they have a
second factor, a current authenticator code or an unused recovery code. The moment is kept in
the session and checked by the services.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import transaction

import audit
from accounts import mfa

SESSION_KEY = "reauthenticated_at"


class ReauthFailed(Exception):
    """The password or the second-factor code was not accepted."""

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


def needs_second_factor(user: Any) -> bool:
    """Whether the confirmation form asks for a typed code (passkeys answer on their own)."""
    return mfa.has_code_factor(user=user)


def reauth_verify(*, user: Any, password: str, code: str = "") -> Any:
    """
    Check the password and, for users with a second factor, the code; return the device that
    accepted the code (None without a second factor), or raise ReauthFailed.

    The code is only tried after a correct password, so a wrong password does not use up
    recovery codes or throttle the user's authenticator. The trail records the outcome and the
    kind of factor, never the password or the code.
    """
    device, failure = _reauth_check(user=user, password=password, code=code)
    if failure:
        raise ReauthFailed(failure)
    return device


@transaction.atomic(durable=True)
def _reauth_check(*, user: Any, password: str, code: str) -> tuple[Any, str]:
    # Returns instead of raising, so the device's throttling counter and the failure event
    # are committed rather than rolled back.
    device = None
    failure = ""
    if not user.check_password(password or ""):
        failure = "password"
    elif mfa.has_second_factor(user=user):
        device = mfa.verify_second_factor(user=user, code=code)
        if device is None:
            failure = "second_factor"
    if failure:
        audit.record(action="auth.reauth_failed", actor=user, target=user, data={"reason": failure})
        return None, failure
    factor = mfa.kind_of(device) if device is not None else "password"
    audit.record(action="auth.reauthenticated", actor=user, target=user, data={"factor": factor})
    return device, ""
