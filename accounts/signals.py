"""
Auth events into the audit trail: logins, failed logins, logouts, role changes.

Role changes are caught at the m2m signal rather than in one service, because the admin,
the shell and the services all change groups, and every one of those paths must be
recorded. The same handler keeps is_staff in step with the staff roles.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

import audit
from accounts.models import User
from accounts.roles import STAFF_ROLES


@receiver(user_logged_in)
def record_login(sender: Any, request: Any, user: User, **_: Any) -> None:
    audit.record(action="auth.login", actor=user, target=user)


@receiver(user_logged_out)
def record_logout(sender: Any, request: Any, user: User | None, **_: Any) -> None:
    if user is None:
        return
    audit.record(action="auth.logout", actor=user, target=user)


@receiver(user_login_failed)
def record_login_failed(sender: Any, credentials: dict[str, Any], request: Any, **_: Any) -> None:
    username = str(credentials.get("username") or "")
    known = User.objects.filter(username=username).only("pk").first()
    # The attempted name is not stored in clear: it may be a mistyped password.
    audit.record(
        action="auth.login_failed",
        target_type="accounts.user" if known else "",
        target_id=known.pk if known else "",
        data={"username_digest": audit.pii_digest(username), "known_user": bool(known)},
    )


@receiver(m2m_changed, sender=User.groups.through)
def record_role_change(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if reverse:  # group.user_set.add(...): one event per user touched
        users = list(User.objects.filter(pk__in=pk_set or ()))
        groups = [instance]
    else:
        users = [instance]
        groups = (
            list(Group.objects.filter(pk__in=pk_set)) if pk_set else list(instance.groups.all())
        )
    names = sorted(g.name for g in groups)
    if not names:
        return
    change = "added" if action == "post_add" else "removed"
    with transaction.atomic():
        for user in users:
            audit.record(action="user.roles_changed", target=user, data={change: names})
            if action != "pre_clear":
                _sync_staff_flag(user)


def _sync_staff_flag(user: User) -> None:
    staff = (
        user.is_superuser or user.groups.filter(name__in=[r.value for r in STAFF_ROLES]).exists()
    )
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
        audit.record(action="user.staff_changed", target=user, data={"is_staff": staff})
