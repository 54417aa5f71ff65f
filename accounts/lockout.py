"""
Lockouts: django-axes, with a limit per client address, fed by every failed sign-in step.

- One username from one client: after AXES_FAILURE_LIMIT failures (password at login,
  second-factor code, step-up) that pair is refused for AXES_COOLOFF_TIME, the right password
  included (AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]). Someone elsewhere who
  knows a staff member's username locks only their own client out, never the staff member.
- One client, whatever the usernames: after AXES_IP_FAILURE_LIMIT failures within the
  cool-off the address is refused as a whole (SignInLockoutHandler), so a flood cannot try
  five passwords on every username. Refused attempts keep the lock fresh while they go on.

Every lock is one `auth.locked_out` event when it starts; refused attempts during it are
counted by the failure windows (accounts.auth_failures), not written one by one. The
attempted username is kept only as a keyed digest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import logout, user_login_failed
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

import audit
from accounts import auth_failures
from accounts.grants import AuthFailureWindow
from accounts.models import User


class SignInLockoutHandler(AxesDatabaseHandler):
    """
    django-axes' database handler with a second, wider limit per client address.

    The username and client pair is axes' own lock. The address limit sums the failures of
    every username from the address within the cool-off; past it, attempts are refused before
    the password is checked and are not stored as more axes rows (a flood that invents
    usernames would otherwise add one row per name), but they push the cool-off forward.
    """

    def is_locked(self, request: Any, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        if address_failures(request) >= address_limit() > 0:
            setattr(request, auth_failures.ADDRESS_REFUSED, True)
            return True
        return False

    def user_login_failed(
        self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any
    ) -> None:
        if request is None or not getattr(request, auth_failures.ADDRESS_REFUSED, False):
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        if get_cool_off(request) is not None:
            AccessAttempt.objects.filter(
                ip_address=request.axes_ip_address,
                attempt_time__gte=get_cool_off_threshold(request),
            ).update(attempt_time=request.axes_attempt_time)
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )


def address_limit() -> int:
    return int(getattr(settings, "AXES_IP_FAILURE_LIMIT", 0) or 0)


def address_failures(request: Any) -> int:
    """Failures from the request's client address within the cool-off, whatever the username."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if get_cool_off(request) is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


# --- Other sign-in steps --------------------------------------------------------------------------


def signin_allowed(*, request: Any, username: str) -> bool:
    """Whether this username may try a sign-in step from this client now (not locked out)."""
    if not getattr(settings, "AXES_ENABLED", True):  # django-axes' own default
        return True
    return AxesProxyHandler.is_allowed(request, get_credentials(username))


def signin_failed(*, request: Any, username: str, kind: str) -> None:
    """
    Count one failed step other than the login form's (a wrong code, a failed step-up) exactly
    as a wrong password: django-axes counts it towards the lockout and may lock, and the
    failure windows count it for the trail under `kind`.
    """
    user_login_failed.send(
        sender=__name__,
        credentials=get_credentials(username),
        request=request,
        failure_kind=kind,
    )


def session_end_if_locked_out(request: Any) -> None:
    """
    Sign out a session whose failed code or step-up has just locked its account out (or was
    refused by the lock): a stolen session guessing the password loses the session too.
    """
    if getattr(request, "axes_locked_out", False) and request.user.is_authenticated:
        logout(request)


# --- The audit trail ------------------------------------------------------------------------------


def _record_locked_out(sender: Any, request: Any, username: str | None, **_: Any) -> None:
    address = bool(getattr(request, auth_failures.ADDRESS_REFUSED, False))
    lockout_record(
        username="" if address else str(username or ""),
        ip_address=auth_failures.request_ip(request),
        # Without a cool-off a lock lasts until an administrator lifts it: one event a day.
        cool_off=get_cool_off(request) or dt.timedelta(days=1),
    )


def lockout_record(*, username: str, ip_address: str | None, cool_off: dt.timedelta) -> bool:
    """
    Write `auth.locked_out` when a lock starts, and only then; return whether it started.

    django-axes reports the lock on every attempt it refuses. A marker row per lock (kind
    "lockout") remembers the last report: a report within the cool-off of the previous one
    belongs to the same lock, since each refused attempt holds the lock that long again.
    Markers are bucketed by the cool-off, so two processes starting the same lock at once
    collide on the unique window and only one of them writes the event.
    """
    scope = "account" if username else "address"
    key = auth_failures.failure_key(scope=scope, username=username, ip_address=ip_address)
    now = timezone.now()
    with transaction.atomic():
        ongoing = (
            AuthFailureWindow.objects.select_for_update()
            .filter(kind=auth_failures.LOCKOUT, key=key, last_at__gte=now - cool_off)
            .order_by("-last_at")
            .first()
        )
        if ongoing is not None:
            _lockout_extend(AuthFailureWindow.objects.filter(pk=ongoing.pk), now=now)
            return False
        known = User.objects.filter(username=username).only("pk").first() if username else None
        started = auth_failures.window_floor(now, max(1, int(cool_off.total_seconds())))
        try:
            with transaction.atomic():
                AuthFailureWindow.objects.create(
                    kind=auth_failures.LOCKOUT,
                    key=key,
                    window_start=started,
                    count=1,
                    user=known,
                    last_at=now,
                    recorded_at=now,
                    username_digest=audit.pii_digest(username) if username else "",
                    ip_address=ip_address,
                )
        except IntegrityError:  # started by a parallel request, which wrote the event
            _lockout_extend(
                AuthFailureWindow.objects.filter(
                    kind=auth_failures.LOCKOUT, key=key, window_start=started
                ),
                now=now,
            )
            return False
        audit.record(
            action="auth.locked_out",
            target_type="accounts.user" if known else "",
            target_id=known.pk if known else "",
            data={
                "scope": scope,
                "username_digest": audit.pii_digest(username) if username else "",
                "known_user": bool(known),
                "cool_off_seconds": int(cool_off.total_seconds()),
            },
        )
    return True


def _lockout_extend(markers: Any, *, now: dt.datetime) -> None:
    markers.update(count=F("count") + 1, last_at=now)


def connect_signals() -> None:
    user_locked_out.connect(_record_locked_out, dispatch_uid="accounts.lockout.audit")
