"""
The roles and the registry of what each may do, from which the role groups are built.

A role is a Django group holding exactly the permissions granted to it. Accounts imports no
domain app: each app grants its own permissions in its `roles` module (found by autodiscovery
when accounts is ready), so a new app plugs its roles in without accounts knowing it. The data
migration creates the groups; a post_migrate hook keeps them equal to the registry afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    MODERATOR = "Moderator"
    SENIOR_MODERATOR = "Senior moderator"
    LEGAL_OFFICER = "Legal officer"
    LEGAL_APPROVER = "Legal approver"
    AUDITOR = "Auditor"
    ADMINISTRATOR = "Administrator"


# The roles' names for people, in the user's language (the group names stay English: they are
# the database's keys).
ROLE_LABELS = {
    Role.MODERATOR: _("Moderator"),
    Role.SENIOR_MODERATOR: _("Senior moderator"),
    Role.LEGAL_OFFICER: _("Legal officer"),
    Role.LEGAL_APPROVER: _("Legal approver"),
    Role.AUDITOR: _("Auditor"),
    Role.ADMINISTRATOR: _("Administrator"),
}


def role_display(name: str) -> str:
    """A role's name in the user's language; an unknown group keeps its own name."""
    try:
        return str(ROLE_LABELS[Role(name)])
    except ValueError:
        return name


_granted: dict[Role, set[str]] = {role: set() for role in Role}


def grant(role: Role, permissions: Iterable[str]) -> None:
    """Give a role "app_label.codename" permissions (called from an app's roles module)."""
    _granted[role].update(permissions)


def role_permissions() -> dict[Role, frozenset[str]]:
    """Every role with the permissions all apps granted it."""
    return {role: frozenset(perms) for role, perms in _granted.items()}


# Accounts' own part: the administrators manage people, roles and service tokens.
grant(
    Role.ADMINISTRATOR,
    {
        "accounts.manage_roles",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_apitoken",
        "accounts.revoke_apitoken",
        "auth.view_group",
        "auth.view_permission",
    },
)

# Roles whose holders may enter the Django admin (is_staff follows from these).
STAFF_ROLES = frozenset({Role.ADMINISTRATOR})

# Superuser status, granted like a privileged role (it holds every permission).
SUPERUSER = "superuser"

# Roles that reach legal data, the audit trail or other people's access. An Administrator
# cannot give one in a single step: it is a RoleGrant that a second Administrator approves
# (accounts.services_grants). Taking one away is immediate.
PRIVILEGED_ROLES = frozenset(
    {Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, Role.AUDITOR, Role.ADMINISTRATOR}
)
PRIVILEGED_GRANTS: frozenset[str] = frozenset({*PRIVILEGED_ROLES, SUPERUSER})

# The disclosure workflow's preparing and approving roles: never both on one account unless
# settings.ALLOW_PREPARER_AND_APPROVER (and then "who prepared cannot approve" still holds).
PREPARING_ROLES = frozenset({Role.LEGAL_OFFICER})
APPROVING_ROLES = frozenset({Role.LEGAL_APPROVER})


class UnknownPermission(LookupError):
    pass


def sync_roles(*, apps: Any, using: str = DEFAULT_DB_ALIAS, strict: bool = True) -> None:
    """
    Create the role groups and set each one's permissions to exactly what the apps granted.

    strict=False is for data migrations, where a permission of a model created by a later
    migration does not exist yet; the post_migrate sync (strict) then adds it.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for dotted in sorted(perms):
            app_label, codename = dotted.split(".", 1)
            found = Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename=codename
            )
            if strict and not found:
                raise UnknownPermission(f"{role.value}: no permission {dotted!r}")
            wanted.extend(found)
        group.permissions.set(wanted)


def sync_after_migrate(*, using: str = DEFAULT_DB_ALIAS, apps: Any = None, **_: Any) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # post_migrate for this app can run before auth's own handler: make sure every
    # app's permissions exist first.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles(apps=global_apps, using=using)
