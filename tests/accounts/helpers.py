"""Arrangement shared by the account tests: role grants, the admin's user form, failed sign-ins."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import auth_failures
from accounts.models import RoleGrant, User
from accounts.roles import Role
from accounts.services_grants import role_grant_approve, role_grant_request
from audit.models import AuditEvent
from tests.utils import set_step_up


def user_change_data(user: User, **changes) -> dict:
    """The change form as the admin renders it for `user`, with `changes` applied."""
    joined = user.date_joined.astimezone()
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [perm.pk for perm in user.user_permissions.all()],
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        "_save": "Save",
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def now() -> int:
    return int(time.time())


def fresh(client):  # type: ignore[no-untyped-def]
    return set_step_up(client, age_seconds=0)


def roles_of(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def actions_about(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="accounts.user", target_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def denials(rule: str) -> list[AuditEvent]:
    return [
        e for e in AuditEvent.objects.filter(action="authz.denied") if e.data.get("rule") == rule
    ]


def group_pk(role: Role) -> int:
    return Group.objects.get(name=role.value).pk


def request_grant(actor: User, user: User, role: str, **kwargs: Any) -> RoleGrant:
    return role_grant_request(
        actor=actor,
        user=user,
        role=role,
        reason=kwargs.pop("reason", "Joins the legal team."),
        reauthenticated_at=kwargs.pop("reauthenticated_at", now()),
    )


def approve_grant(actor: User, grant: RoleGrant, **kwargs: Any) -> RoleGrant:
    return role_grant_approve(
        actor=actor,
        grant_id=grant.pk,
        reauthenticated_at=kwargs.pop("reauthenticated_at", now()),
        **kwargs,
    )


def flush_failed_signins() -> int:
    """Write every window of failures as if its minute were over (the beat task's work)."""
    later = timezone.now() + dt.timedelta(seconds=settings.AUTH_FAILURE_WINDOW_SECONDS)
    return auth_failures.auth_failures_flush(until=later)
