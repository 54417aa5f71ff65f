"""
Failed sign-in steps into the audit trail, counted rather than written one by one.

A wrong password at login, a wrong second-factor code and a failed step-up each add one to
the window of their kind, username and client address (AUTH_FAILURE_WINDOW_SECONDS long).
A window becomes one event carrying its count once it has closed: when the same key fails
again in a later window, or from the beat task `accounts.tasks.flush_auth_failures`. So an
anonymous flood writes at most one event per username, client and window, and the counts
of the events add up to the attempts. A client refused as a whole (its address is over
AXES_IP_FAILURE_LIMIT) is counted under its address alone, so inventing usernames does not
make more events either.

Nothing here decides a lockout: django-axes does (accounts.lockout), from the same signal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

import audit
from accounts.grants import AuthFailureWindow
from accounts.models import User
from audit import context
from audit.middleware import client_ip

# Failed sign-in steps, and the event each kind's windows become.
ACTIONS = {
    "login": "auth.login_failed",
    "code": "auth.second_factor_failed",
    "step_up": "auth.step_up_failed",
}
# The kind of the rows that mark a lock period (accounts.lockout); never flushed as failures.
LOCKOUT = "lockout"
# Set on the request by the lockout handler when the client address is over its own limit.
ADDRESS_REFUSED = "signin_address_refused"
FLUSH_BATCH = 500


def window_seconds() -> int:
    return max(1, int(settings.AUTH_FAILURE_WINDOW_SECONDS))


def window_floor(moment: dt.datetime, seconds: int) -> dt.datetime:
    """The start of the window of `seconds` that holds `moment` (windows start at the epoch)."""
    stamp = int(moment.timestamp())
    return dt.datetime.fromtimestamp(stamp - stamp % seconds, tz=dt.UTC)


def failure_key(*, scope: str, username: str, ip_address: str | None) -> str:
    """A keyed digest of what a window counts: one username from one client, or one client."""
    return audit.pii_digest(f"{scope}\n{username}\n{ip_address or ''}")


def request_ip(request: Any) -> str | None:
    if request is not None and hasattr(request, "META"):
        return client_ip(request)
    return context.current().ip_address


def signin_failure_record(*, kind: str, username: str, request: Any) -> None:
    """
    Count one failed sign-in step of `kind` for the username and the request's client.

    A login refused because the client address is over its limit is counted for the address
    alone: a flood that invents a new username for each attempt fills one window, not one
    per name. Codes and step-ups come from a signed-in session, whose username is its own.
    """
    ip_address = request_ip(request)
    if kind == "login" and getattr(request, ADDRESS_REFUSED, False):
        auth_failure_record(kind=kind, username="", ip_address=ip_address, scope="address")
        return
    user = User.objects.filter(username=username).only("pk").first() if username else None
    auth_failure_record(kind=kind, username=username, ip_address=ip_address, user=user)


def auth_failure_record(
    *,
    kind: str,
    username: str,
    ip_address: str | None,
    user: User | None = None,
    scope: str = "account",
    now: dt.datetime | None = None,
) -> None:
    """
    Add one to the window of (kind, username and client, now); with scope "address", of
    (kind, client) whatever the username.

    The count is raised in the database (count + 1), so parallel failures are all counted. A
    window that was already written to the trail (the flush saw it closed a moment earlier)
    takes no more: the failure goes to the next window instead, so no attempt is lost.
    The first failure of a window writes the key's earlier windows, which are closed.
    """
    if kind not in ACTIONS:
        raise ValueError(f"not a kind of failed sign-in: {kind!r}")
    now = now or timezone.now()
    seconds = window_seconds()
    if scope == "address":
        username, user = "", None
    key = failure_key(scope=scope, username=username, ip_address=ip_address)
    start = window_floor(now, seconds)
    with transaction.atomic():
        for window_start in (start, start + dt.timedelta(seconds=seconds)):
            if _increment(kind=kind, key=key, window_start=window_start, now=now):
                return
            created = _create(
                kind=kind,
                key=key,
                window_start=window_start,
                now=now,
                user=user,
                username_digest=audit.pii_digest(username) if scope == "account" else "",
                ip_address=ip_address,
            )
            if created:
                _flush_rows(
                    AuthFailureWindow.objects.filter(
                        kind=kind, key=key, window_start__lt=window_start
                    )
                )
                return
            if _increment(kind=kind, key=key, window_start=window_start, now=now):
                return  # another request created it a moment before


def _increment(*, kind: str, key: str, window_start: dt.datetime, now: dt.datetime) -> bool:
    return bool(
        AuthFailureWindow.objects.filter(
            kind=kind, key=key, window_start=window_start, recorded_at__isnull=True
        ).update(count=F("count") + 1, last_at=now)
    )


def _create(
    *, kind: str, key: str, window_start: dt.datetime, now: dt.datetime, **fields: Any
) -> bool:
    try:
        with transaction.atomic():
            AuthFailureWindow.objects.create(
                kind=kind, key=key, window_start=window_start, count=1, last_at=now, **fields
            )
    except IntegrityError:
        return False
    return True


def auth_failures_flush(*, until: dt.datetime | None = None) -> int:
    """
    Write every window that closed before `until` (default now) as one event with its count;
    return how many were written.

    Idempotent: each window is written once, under its row lock, and marked with the time;
    windows another process is writing are skipped and picked up by the next run.
    """
    cutoff = (until or timezone.now()) - dt.timedelta(seconds=window_seconds())
    written = 0
    while True:
        with transaction.atomic(durable=True):
            done = _flush_rows(
                AuthFailureWindow.objects.filter(window_start__lte=cutoff), limit=FLUSH_BATCH
            )
        written += done
        if done < FLUSH_BATCH:
            return written


def _flush_rows(windows: Any, *, limit: int | None = None) -> int:
    rows = (
        windows.filter(kind__in=ACTIONS, recorded_at__isnull=True)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("user")
        .order_by("window_start", "pk")
    )
    batch = list(rows[:limit] if limit else rows)
    now = timezone.now()
    for row in batch:
        _record_window(row)
    if batch:
        AuthFailureWindow.objects.filter(pk__in=[row.pk for row in batch]).update(recorded_at=now)
    return len(batch)


def _record_window(row: AuthFailureWindow) -> None:
    user = row.user
    # The event says where the failures came from, not where the flush ran.
    with context.bind(ip_address=row.ip_address):
        audit.record(
            action=ACTIONS[row.kind],
            # A wrong code or step-up comes from a session signed in as the user; a wrong
            # password at login comes from nobody known.
            actor=user if row.kind != "login" else None,
            target_type="accounts.user" if user is not None else "",
            target_id=user.pk if user is not None else "",
            data={
                "count": row.count,
                "window_start": row.window_start.isoformat(),
                "last_at": row.last_at.isoformat(),
                "scope": "account" if row.username_digest else "address",
                "username_digest": row.username_digest,
                "known_user": user is not None,
            },
        )


def auth_failure_windows_purge(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """
    Delete windows already written to the trail, and lock markers, untouched for a day: they
    are working state, and the trail keeps what they counted.
    """
    cutoff = timezone.now() - older_than
    deleted, _ = AuthFailureWindow.objects.filter(
        recorded_at__isnull=False, last_at__lt=cutoff
    ).delete()
    return deleted
