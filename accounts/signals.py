"""
Auth events into the audit trail: logins, failed logins, logouts, role changes, and every
change to an account.

Role and account changes are caught at the model's signals rather than in one service,
because the admin, the shell and the services all change accounts, and every one of those
paths must be recorded. User.save() wraps the save in a transaction, so a change and its
event commit together. The m2m handler also keeps is_staff in step with the staff roles.
Passwords never reach the trail: only that one was set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

import audit
from accounts import auth_failures
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
def record_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Counted per username, client and window, written as one event per window with the
    # count (accounts.auth_failures): a flood cannot grow the trail without bound. The
    # attempted name is kept only as a keyed digest: it may be a mistyped password. Wrong
    # codes and failed step-ups come through here too (accounts.lockout.signin_failed).
    auth_failures.signin_failure_record(
        kind=kwargs.get("failure_kind", "login"),
        username=str(credentials.get("username") or ""),
        request=request,
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
        user.save(update_fields=["is_staff"])  # audited as user.staff_changed by the save


# --- Account changes ---------------------------------------------------------------------------

# The stored values compared on each save. is_superuser is recorded by session_policy
# (user.superuser_changed), which also ends the account's sessions.
_TRACKED = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "password")
_NAMES = ("username", "first_name", "last_name")
_BEFORE = "_account_fields_before"


@receiver(pre_save, sender=User, dispatch_uid="accounts.account_fields_before")
def remember_account_fields(
    sender: Any, instance: User, raw: bool, update_fields: Any, **_: Any
) -> None:
    setattr(instance, _BEFORE, None)
    if raw or instance.pk is None or instance._state.adding:
        return
    fields = [f for f in _TRACKED if update_fields is None or f in update_fields]
    if fields:  # a login's last_login stamp costs no look-up
        stored = User.objects.filter(pk=instance.pk).values(*fields).first()
        setattr(instance, _BEFORE, stored)


@receiver(post_save, sender=User, dispatch_uid="accounts.account_changes")
def record_account_changes(sender: Any, instance: User, created: bool, raw: bool, **_: Any) -> None:
    if raw:
        return
    # Trusted code that knows who acted (accounts.services.user_create) says so here;
    # otherwise the actor is the request's user, or the system.
    actor = getattr(instance, "_audit_actor", None)
    if created:
        audit.record(
            action="user.created",
            actor=actor,
            target=instance,
            data={
                "username": instance.get_username(),
                "usable_password": instance.has_usable_password(),
            },
        )
        return
    before = getattr(instance, _BEFORE, None)
    setattr(instance, _BEFORE, None)
    if not before:
        return
    for action, data in account_changes(before=before, user=instance):
        audit.record(action=action, actor=actor, target=instance, data=data)


def account_changes(
    *, before: Mapping[str, Any], user: User
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The events for what changed between the stored row and the saved user."""
    changed_names = [f for f in _NAMES if f in before and before[f] != getattr(user, f)]
    if changed_names:
        yield "user.changed", {"fields": changed_names}
    if "email" in before and before["email"] != user.email:
        # Keyed digests: the trail can tell which address without holding it.
        yield (
            "user.email_changed",
            {"old": _digest(before["email"]), "new": _digest(user.email)},
        )
    password_changed = "password" in before and before["password"] != user.password
    if password_changed and not _is_rehash(before["password"], user):
        yield "user.password_set", {"usable": user.has_usable_password()}
    if "is_active" in before and before["is_active"] != user.is_active:
        yield ("user.reactivated" if user.is_active else "user.deactivated"), {}
    if "is_staff" in before and before["is_staff"] != user.is_staff:
        yield "user.staff_changed", {"is_staff": user.is_staff}


def _digest(value: str) -> str:
    return audit.pii_digest(value) if value else ""


def _is_rehash(old: str, user: User) -> bool:
    """
    Whether the new hash is Django upgrading the old one at login (same password, newer
    algorithm or work factor), which is not a change of password. set_password() leaves
    the raw password on the instance until the save completes; an upgrade does not.
    """
    if getattr(user, "_password", None) is not None or not user.has_usable_password():
        return False
    try:
        previous = identify_hasher(old)
        current = identify_hasher(user.password)
    except ValueError:
        return False
    preferred = get_hasher()
    outdated = previous.algorithm != preferred.algorithm or preferred.must_update(old)
    return outdated and current.algorithm == preferred.algorithm
