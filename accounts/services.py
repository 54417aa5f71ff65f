"""Writes about staff accounts."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import Role
from accounts.timezones import zone_names


class UnknownRole(ValueError):
    pass


def _groups_for(roles: Iterable[Role | str]) -> list[Group]:
    names = sorted({Role(r).value for r in roles})
    groups = list(Group.objects.filter(name__in=names))
    if len(groups) != len(names):
        missing = set(names) - {g.name for g in groups}
        raise UnknownRole(f"role groups missing (run migrate): {sorted(missing)}")
    return groups


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    roles: Iterable[Role | str] = (),
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    actor: User | None = None,
) -> User:
    """
    Create a staff account with its roles, for trusted code (the demo, management
    commands, tests): the roles are set directly, without a grant. `user.created` is
    recorded by the save handler and the roles by the m2m handler (accounts.signals).
    """
    groups = _groups_for(roles)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user._audit_actor = actor  # type: ignore[attr-defined]
    user.save()
    user._audit_actor = None  # type: ignore[attr-defined]
    user.groups.set(groups)
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[Role | str]) -> User:
    """
    Give the user exactly these roles, for trusted code: privileged ones included, without
    a grant (changes are audited by the m2m handler). People use accounts.services_grants.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    user.groups.set(_groups_for(roles))
    user.refresh_from_db(fields=["is_staff"])
    return user


def sessions_purge_expired() -> int:
    """Delete expired sessions; returns how many went."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


def user_time_zone_set(*, user: User, time_zone: str) -> None:
    """Store the zone the user's pages show times in ("UTC" is stored as the site default)."""
    if time_zone not in zone_names():
        raise ValueError(f"unknown time zone {time_zone!r}")
    user.time_zone = "" if time_zone == settings.TIME_ZONE else time_zone
    user.save(update_fields=["time_zone"])
