"""
The roles and what each may do: the single table from which the role groups are built.

A role is a Django group holding exactly the permissions listed here. The data migration
creates the groups; a post_migrate hook keeps them equal to this table afterwards.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import DEFAULT_DB_ALIAS


class Role(StrEnum):
    MODERATOR = "Moderator"
    SENIOR_MODERATOR = "Senior moderator"
    LEGAL_OFFICER = "Legal officer"
    LEGAL_APPROVER = "Legal approver"
    AUDITOR = "Auditor"
    ADMINISTRATOR = "Administrator"


_MODERATION = {"moderation.triage_cases", "moderation.decide_cases"}
_SENIOR = _MODERATION | {
    "moderation.handle_escalations",
    "moderation.decide_appeals",
    "moderation.bulk_decide",
    "moderation.view_moderation_stats",
}
_LEGAL_READ = {
    "disclosures.view_requests",
    "disclosures.view_transparency_report",
    "moderation.view_legal_escalations",
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.MODERATOR: frozenset(_MODERATION),
    Role.SENIOR_MODERATOR: frozenset(_SENIOR),
    Role.LEGAL_OFFICER: frozenset(
        _LEGAL_READ
        | {
            "disclosures.prepare_requests",
            "disclosures.release_packages",
            "disclosures.manage_authorities",
            "disclosures.unmask_pii",
        }
    ),
    Role.LEGAL_APPROVER: frozenset(
        _LEGAL_READ | {"disclosures.approve_requests", "disclosures.unmask_pii"}
    ),
    Role.AUDITOR: frozenset(
        {
            "audit.view_audit_trail",
            "audit.verify_audit_trail",
            "disclosures.view_transparency_report",
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        {
            "accounts.manage_roles",
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            "accounts.view_apitoken",
            "accounts.revoke_apitoken",
            "auth.view_group",
            "auth.view_permission",
            "audit.view_auditevent",
            "audit.view_audit_trail",
        }
    ),
}

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
    Create the role groups and set each one's permissions to exactly ROLE_PERMISSIONS.

    strict=False is for data migrations, where a permission of a model created by a later
    migration does not exist yet; the post_migrate sync (strict) then adds it.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
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
