"""
Session lifetime: an idle limit that depends on the role, an absolute limit from login, and
the end of every session of a user whose roles change or whose account is disabled.

Django's own SESSION_COOKIE_AGE only bounds the cookie; the limits here are checked on the
server, against timestamps kept in the session, so a replayed cookie does not outlive them.
The legal and audit roles get the shorter idle limit (ASVS level 3 for those parts).

Last activity is written at most once a minute, so that ordinary page views do not add a
session write each; the idle limit is therefore enforced to within that minute, never later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import user_logged_in
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from accounts.htmx_login import htmx_login_redirect, is_htmx
from accounts.models import User
from accounts.roles import Role

LOGIN_AT = "_policy_login_at"
LAST_SEEN = "_policy_last_seen"
IDLE_LIMIT = "_policy_idle_seconds"
TOUCH_EVERY_SECONDS = 60

PRIVILEGED_ROLES = frozenset(
    {Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, Role.AUDITOR, Role.ADMINISTRATOR}
)


def _now() -> float:
    return time.time()


def idle_limit_for(user: User) -> int:
    """Seconds of inactivity after which the user's session ends."""
    privileged = user.groups.filter(name__in=[r.value for r in PRIVILEGED_ROLES]).exists()
    if privileged:
        return settings.SESSION_IDLE_SECONDS_PRIVILEGED
    return settings.SESSION_IDLE_SECONDS


def session_start(*, session: Any, user: User) -> None:
    """Stamp a fresh login: when it started, when it was last used, its idle limit."""
    now = int(_now())
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now
    # Stored once per login: a role change ends the session, so the limit cannot go stale.
    session[IDLE_LIMIT] = idle_limit_for(user)


def expiry_reason(*, session: Any, now: float) -> str | None:
    """'absolute', 'idle' or None when the session may go on."""
    if now - session[LOGIN_AT] > settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if now - session[LAST_SEEN] > session[IDLE_LIMIT]:
        return "idle"
    return None


class SessionPolicyMiddleware:
    """Ends sessions past their idle or absolute limit and sends the user to the login page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            session = request.session
            now = _now()
            if LOGIN_AT not in session or IDLE_LIMIT not in session:
                session_start(session=session, user=user)
            elif reason := expiry_reason(session=session, now=now):
                return self._expire(request, user=user, reason=reason)
            elif now - session[LAST_SEEN] >= TOUCH_EVERY_SECONDS:
                session[LAST_SEEN] = int(now)
        return self.get_response(request)

    def _expire(self, request: HttpRequest, *, user: User, reason: str) -> HttpResponse:
        audit.record(
            action="auth.session_expired", actor=user, target=user, data={"reason": reason}
        )
        request.session.flush()
        request.user = AnonymousUser()
        # MessageMiddleware runs after this one and has not set up its storage yet.
        storage = default_storage(request)
        request._messages = storage  # type: ignore[attr-defined]
        messages.warning(request, _("Your session has expired. Please sign in again."))
        if is_htmx(request):
            response = htmx_login_redirect(request)
        else:
            response = redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        storage.update(response)
        return response


def sessions_terminate(*, user: User, reason: str) -> int:
    """Delete every stored session of the user; audited when there was any."""
    user_id = str(user.pk)
    doomed = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == user_id
    ]
    if not doomed:
        return 0
    with transaction.atomic():
        Session.objects.filter(session_key__in=doomed).delete()
        audit.record(
            action="session.terminated",
            target=user,
            data={"reason": reason, "sessions": len(doomed)},
        )
    return len(doomed)


def _on_login(sender: Any, request: Any, user: User, **_: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(session=request.session, user=user)


def _on_roles_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    users = list(User.objects.filter(pk__in=pk_set or ())) if reverse else [instance]
    for user in users:
        sessions_terminate(user=user, reason="roles_changed")


def _remember_superuser_flag(sender: Any, instance: User, update_fields: Any, **_: Any) -> None:
    # Only a save that may touch the flag costs the look-up (not login's last_login stamp).
    if instance.pk is None or (update_fields is not None and "is_superuser" not in update_fields):
        return
    instance._superuser_was = (  # type: ignore[attr-defined]
        User.objects.filter(pk=instance.pk).values_list("is_superuser", flat=True).first()
    )


def _on_user_saved(sender: Any, instance: User, created: bool, **_: Any) -> None:
    if created:
        return
    if not instance.is_active:
        sessions_terminate(user=instance, reason="account_disabled")
    was = getattr(instance, "_superuser_was", None)
    if was is not None and was != instance.is_superuser:
        # Like a role change: recorded, and the user signs in again under the new rules
        # (a superuser must have a second factor).
        with transaction.atomic():
            audit.record(
                action="user.superuser_changed",
                target=instance,
                data={"is_superuser": instance.is_superuser},
            )
        sessions_terminate(user=instance, reason="superuser_changed")
    instance._superuser_was = instance.is_superuser  # type: ignore[attr-defined]


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="session_policy.login")
    m2m_changed.connect(
        _on_roles_changed, sender=User.groups.through, dispatch_uid="session_policy.roles"
    )
    pre_save.connect(
        _remember_superuser_flag, sender=User, dispatch_uid="session_policy.superuser_flag"
    )
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="session_policy.user_saved")
