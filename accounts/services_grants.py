"""
Dual control over privileged access (NIST SP 800-53 AC-5, AC-2).

A privileged role (accounts.roles.PRIVILEGED_GRANTS: the legal roles, Auditor,
Administrator, superuser status) is never given in one step. An Administrator requests it
for someone else, with a reason; a different Administrator, who is not the person receiving
it, approves it; only then does the account get the role. Both steps need a fresh step-up.
Refusing, cancelling and revoking reduce access and so take effect at once.

Every function here is one durable transaction that re-reads the rows it decides on under a
row lock and writes its audit event in the same transaction. A refusal on a rule of dual
control leaves an `authz.denied` event, written after the refused transaction is rolled back.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from accounts.grant_errors import RoleGrantDenied, RoleGrantError
from accounts.grant_rules import (
    check_decider,
    check_preparer_and_approver,
    holds,
    locked_pending_grant,
    locked_user,
    records_refusals,
    require_fresh,
    require_manager,
    require_privileged,
    role_label,
)
from accounts.models import RoleGrant, User
from accounts.roles import (
    PRIVILEGED_GRANTS,
    STAFF_ROLES,
    SUPERUSER,
    Role,
)
from core.errors import InvalidTransition
from core.transitions import status_transition

REASON_MAX_LENGTH = 2000


# --- Services --------------------------------------------------------------------------------


class RoleGrantTransitionRefused(InvalidTransition):
    subject = "A role grant"


def role_grant_transition(*, grant: RoleGrant, to: str, fields: tuple[str, ...] = ()) -> str:
    """The one way a grant's status changes, on a row the caller has locked."""
    return status_transition(grant, to=to, fields=fields, refusal=RoleGrantTransitionRefused)


@records_refusals
@transaction.atomic(durable=True)
def role_grant_request(
    *, actor: User, user: User, role: str, reason: str, reauthenticated_at: int | None
) -> RoleGrant:
    """
    Ask for `user` to be given a privileged role; nothing changes until another
    administrator approves. Nobody asks for themself; the account must not already hold the
    role or have a request for it waiting.
    """
    require_manager(actor)
    require_fresh(reauthenticated_at)
    role = require_privileged(role)
    if actor.pk == user.pk:
        raise RoleGrantDenied(
            _("You cannot request a privileged role for yourself."), rule="self_grant"
        )
    reason = (reason or "").strip()
    if not reason:
        raise RoleGrantError(_("Say why this account needs the role."), rule="reason_missing")
    if len(reason) > REASON_MAX_LENGTH:
        raise RoleGrantError(
            _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH},
            rule="reason_too_long",
        )
    user = locked_user(user.pk)
    if not user.is_active:
        raise RoleGrantError(
            _("%(user)s is deactivated: reactivate the account first.")
            % {"user": user.get_username()},
            rule="inactive",
        )
    if holds(user, role):
        raise RoleGrantError(
            _("%(user)s already holds %(role)s.")
            % {"user": user.get_username(), "role": role_label(role)},
            rule="already_held",
        )
    if RoleGrant.objects.filter(user=user, role=role, status=RoleGrant.Status.PENDING).exists():
        raise RoleGrantError(
            _("A request for %(role)s for %(user)s is already waiting for approval.")
            % {"user": user.get_username(), "role": role_label(role)},
            rule="already_pending",
        )
    check_preparer_and_approver(user=user, role=role, pending_too=True)
    grant = RoleGrant.objects.create(user=user, role=role, reason=reason, requested_by=actor)
    audit.record(
        action="role_grant.requested",
        actor=actor,
        target=user,
        data={"grant": grant.pk, "role": role},
    )
    return grant


@records_refusals
@transaction.atomic(durable=True)
def role_grant_approve(
    *, actor: User, grant_id: int, reauthenticated_at: int | None, note: str = ""
) -> RoleGrant:
    """
    A second administrator approves a waiting grant, and the account gets the role now.

    The grant is re-read under a row lock, so of two administrators approving at once one
    wins and the other is told it was already decided. The rules are checked again at this
    point against the account as it is now (it may have gained a role since the request).
    """
    require_manager(actor)
    require_fresh(reauthenticated_at)
    grant = locked_pending_grant(grant_id)
    check_decider(actor=actor, grant=grant, approving=True)
    user = locked_user(grant.user_id)
    if not user.is_active:
        raise RoleGrantError(
            _("%(user)s is deactivated: refuse this request instead.")
            % {"user": user.get_username()},
            rule="inactive",
        )
    check_preparer_and_approver(user=user, role=grant.role, pending_too=False)
    now = timezone.now()
    grant.decided_by = actor
    grant.decided_at = now
    grant.decision_note = (note or "").strip()[:REASON_MAX_LENGTH]
    role_grant_transition(
        grant=grant,
        to=RoleGrant.Status.APPROVED,
        fields=("decided_by", "decided_at", "decision_note"),
    )
    audit.record(
        action="role_grant.approved",
        actor=actor,
        target=user,
        data={"grant": grant.pk, "role": grant.role, "requested_by": grant.requested_by_id},
    )
    if not holds(user, grant.role):
        _give(user=user, role=grant.role)
    return grant


@records_refusals
@transaction.atomic(durable=True)
def role_grant_refuse(*, actor: User, grant_id: int, note: str = "") -> RoleGrant:
    """Another administrator turns a waiting grant down; the account gets nothing."""
    require_manager(actor)
    grant = locked_pending_grant(grant_id)
    check_decider(actor=actor, grant=grant, approving=False)
    grant.decided_by = actor
    grant.decided_at = timezone.now()
    grant.decision_note = (note or "").strip()[:REASON_MAX_LENGTH]
    return _grant_close(
        grant,
        to=RoleGrant.Status.REFUSED,
        fields=("decided_by", "decided_at", "decision_note"),
        action="role_grant.refused",
        actor=actor,
    )


@records_refusals
@transaction.atomic(durable=True)
def role_grant_cancel(*, actor: User, grant_id: int) -> RoleGrant:
    """The administrator who asked withdraws a waiting grant."""
    require_manager(actor)
    grant = locked_pending_grant(grant_id)
    if actor.pk != grant.requested_by_id:
        raise RoleGrantDenied(
            _("Only the administrator who asked may withdraw a request; refuse it instead."),
            rule="not_requester",
        )
    grant.decided_at = timezone.now()
    return _grant_close(
        grant,
        to=RoleGrant.Status.CANCELLED,
        fields=("decided_at",),
        action="role_grant.cancelled",
        actor=actor,
    )


def _grant_close(
    grant: RoleGrant, *, to: str, fields: tuple[str, ...], action: str, actor: User
) -> RoleGrant:
    """End a waiting grant without giving anything (refused, withdrawn) and record it."""
    role_grant_transition(grant=grant, to=to, fields=fields)
    audit.record(
        action=action,
        actor=actor,
        target_type="accounts.user",
        target_id=grant.user_id,
        data={"grant": grant.pk, "role": grant.role},
    )
    return grant


@records_refusals
@transaction.atomic(durable=True)
def role_revoke(*, actor: User, user: User, role: str) -> User:
    """
    Take a role (or superuser status) away now. Any administrator may, from anyone,
    themself included: reducing access never waits for a second person.
    """
    require_manager(actor)
    role = str(role)
    if role != SUPERUSER and role not in {r.value for r in Role}:
        raise RoleGrantError(_("There is no role %(role)s.") % {"role": role}, rule="unknown")
    user = locked_user(user.pk)
    if not holds(user, role):
        raise RoleGrantError(
            _("%(user)s does not hold %(role)s.")
            % {"user": user.get_username(), "role": role_label(role)},
            rule="not_held",
        )
    latest = (
        RoleGrant.objects.filter(user=user, role=role, status=RoleGrant.Status.APPROVED)
        .order_by("-decided_at")
        .values_list("pk", flat=True)
        .first()
    )
    audit.record(
        action="role.revoked",
        actor=actor,
        target=user,
        data={"role": role, "grant": latest},
    )
    _take(user=user, role=role)
    return user


def privileged_roles_suspend(*, user: User, actor: User, reason: str) -> list[str]:
    """
    Take every privileged role (and superuser status) from an account whose password or
    second factor an administrator reset, in the caller's transaction.

    Without this, one administrator could reset a Legal approver's password and factors,
    set them through the link and sign in as that approver alone. After a recovery the
    owner gets the account back, but its privileged roles only through new grants that a
    second administrator approves (and the cooling-off that follows them).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("privileged_roles_suspend must run inside the caller's transaction")
    user = locked_user(user.pk)
    taken = [role for role in sorted(PRIVILEGED_GRANTS) if holds(user, role)]
    for role in taken:
        audit.record(
            action="role.revoked",
            actor=actor,
            target=user,
            data={"role": role, "grant": None, "reason": reason},
        )
        _take(user=user, role=role)
    return taken


# --- Applying a role -------------------------------------------------------------------------
# The group change is audited (`user.roles_changed`) and ends the account's sessions through
# the m2m handlers in accounts.signals and accounts.session_policy; superuser status through
# their save handlers (`user.superuser_changed`).


def _give(*, user: User, role: str) -> None:
    if role == SUPERUSER:
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    else:
        user.groups.add(Group.objects.get(name=role))


def _take(*, user: User, role: str) -> None:
    if role == SUPERUSER:
        user.is_superuser = False
        user.is_staff = user.groups.filter(name__in=[r.value for r in STAFF_ROLES]).exists()
        user.save(update_fields=["is_superuser", "is_staff"])
    else:
        user.groups.remove(Group.objects.get(name=role))
