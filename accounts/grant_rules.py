"""
The rules of dual control over privileged access, as guards the grant services call
(accounts.services_grants): who may request or decide a grant, the step-up, which roles are
privileged, the separation of preparing and approving disclosures. Each guard raises a
RoleGrantError (or RoleGrantDenied, which the services record as `authz.denied`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

import audit
from accounts import reauth
from accounts.grant_errors import RoleGrantDenied, RoleGrantError, StepUpRequired
from accounts.models import RoleGrant, User
from accounts.roles import APPROVING_ROLES, PREPARING_ROLES, PRIVILEGED_GRANTS, SUPERUSER


def role_label(role: str) -> str:
    return _("Superuser") if role == SUPERUSER else str(role)


def is_privileged(role: str) -> bool:
    return role in PRIVILEGED_GRANTS


def records_refusals[F: Callable[..., Any]](func: F) -> F:
    """A refusal by a rule of dual control leaves one `authz.denied` event."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RoleGrantDenied as exc:
            target = kwargs.get("user")
            with transaction.atomic():
                audit.record(
                    action="authz.denied",
                    actor=kwargs.get("actor"),
                    target_type="accounts.user" if target is not None else "accounts.rolegrant",
                    target_id=getattr(target, "pk", "") or kwargs.get("grant_id", ""),
                    data={
                        "operation": func.__name__,
                        "rule": exc.rule,
                        **({"role": str(kwargs["role"])} if "role" in kwargs else {}),
                    },
                )
            raise

    return wrapper  # type: ignore[return-value]


def require_manager(actor: User) -> None:
    if not (actor.is_active and actor.has_perm("accounts.manage_roles")):
        raise RoleGrantDenied(
            _("Only an administrator may request or decide role grants."), rule="not_permitted"
        )


def require_fresh(reauthenticated_at: int | None) -> None:
    if not reauth.is_fresh(reauthenticated_at):
        raise StepUpRequired(
            _("Confirm it is you (password and second factor) first: nothing was changed.")
        )


def require_privileged(role: str) -> str:
    role = str(role)
    if not is_privileged(role):
        raise RoleGrantError(
            _(
                "%(role)s is not a privileged role: an administrator gives it directly on the "
                "account's page."
            )
            % {"role": role},
            rule="not_privileged",
        )
    return role


def holds(user: User, role: str) -> bool:
    if role == SUPERUSER:
        return user.is_superuser
    return user.groups.filter(name=role).exists()


def check_preparer_and_approver(*, user: User, role: str, pending_too: bool) -> None:
    """Refuse a grant after which the account would prepare and approve disclosures."""
    if settings.ALLOW_PREPARER_AND_APPROVER:
        return
    names = set(user.groups.values_list("name", flat=True)) | {role}
    if pending_too:
        names |= set(
            RoleGrant.objects.filter(user=user, status=RoleGrant.Status.PENDING).values_list(
                "role", flat=True
            )
        )
    if names & {r.value for r in PREPARING_ROLES} and names & {r.value for r in APPROVING_ROLES}:
        raise RoleGrantDenied(
            _(
                "One account may not both prepare and approve disclosures: %(user)s would hold "
                "both Legal officer and Legal approver."
            )
            % {"user": user.get_username()},
            rule="preparer_and_approver",
        )


def locked_user(pk: Any) -> User:
    return User.objects.select_for_update().get(pk=pk)


def locked_pending_grant(grant_id: int) -> RoleGrant:
    grant = RoleGrant.objects.select_for_update().filter(pk=grant_id).first()
    if grant is None:
        raise RoleGrantError(_("There is no such grant request."), rule="missing")
    if grant.status != RoleGrant.Status.PENDING:
        raise RoleGrantError(
            _("This request was already decided (%(status)s): nothing was changed.")
            % {"status": grant.get_status_display()},
            rule="already_decided",
        )
    return grant


def check_decider(*, actor: User, grant: RoleGrant, approving: bool) -> None:
    if actor.pk == grant.requested_by_id:
        raise RoleGrantDenied(
            _("You requested this grant: another administrator must approve it.")
            if approving
            else _("You requested this grant: withdraw it, or let another administrator refuse."),
            rule="own_request",
        )
    if actor.pk == grant.user_id:
        raise RoleGrantDenied(
            _("This grant is for you: another administrator must decide it."), rule="own_grant"
        )
