"""Writing the audit trail."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction

from audit import actions, context
from audit.models import AuditEvent

if TYPE_CHECKING:
    from accounts.models import User

_MAX_DEPTH = 8


class InvalidAuditEvent(ValueError):
    """The event cannot be recorded as given (bad or unregistered action, bad payload)."""


def pii_digest(value: str) -> str:
    """
    A keyed hash that stands in for a piece of PII in the trail (HMAC-SHA256, hex).

    The same value always gives the same digest, so events about one phone number or
    username can be correlated without the trail ever holding the value itself.
    """
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def _check_payload(value: Any, path: str = "data", depth: int = 0) -> None:
    # Floats are refused so that every event has one exact canonical encoding (RFC 8785
    # style JSON without floats): store amounts and scores as integers or strings.
    if depth > _MAX_DEPTH:
        raise InvalidAuditEvent(f"{path}: nested deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        raise InvalidAuditEvent(f"{path}: floats are not allowed, use an int or a string")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_payload(item, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidAuditEvent(f"{path}: keys must be strings, got {key!r}")
            _check_payload(item, f"{path}.{key}", depth + 1)
        return
    raise InvalidAuditEvent(f"{path}: {type(value).__name__} is not JSON")


# The actor's roles are snapshotted into every event. They are read once per user instance
# (a request's user, a task's actor) and kept on it, as Django keeps its permission cache,
# instead of one groups query per event. Any change of group membership or of a group in
# this process bumps the generation, so a cached list is never older than a change made
# here; another process's change is seen by the next instance (the next request).
_ROLES_ATTR = "_audit_roles_cache"
_roles_generation = 0


def _roles_changed(**kwargs: Any) -> None:
    global _roles_generation
    if kwargs.get("action", "post_").startswith("post_"):
        _roles_generation += 1


def _connect_role_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save

    through = get_user_model().groups.through
    m2m_changed.connect(_roles_changed, sender=through, dispatch_uid="audit_roles_m2m")
    post_save.connect(_roles_changed, sender=Group, dispatch_uid="audit_roles_group_save")
    post_delete.connect(_roles_changed, sender=Group, dispatch_uid="audit_roles_group_delete")


_connect_role_signals()


def actor_roles(actor: User) -> list[str]:
    """The actor's role names, sorted; one query per user instance while groups are unchanged."""
    cached = getattr(actor, _ROLES_ATTR, None)
    if cached is not None and cached[0] == _roles_generation and cached[1] == actor.pk:
        return list(cached[2])
    generation = _roles_generation
    roles = sorted(actor.groups.values_list("name", flat=True))
    setattr(actor, _ROLES_ATTR, (generation, actor.pk, tuple(roles)))
    return roles


def _actor_from_context() -> User | None:
    user = context.current().user
    if user is not None and user.is_authenticated:
        return user
    return None


def record(
    *,
    action: str,
    actor: User | None = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """
    Append one event to the trail, inside the caller's transaction.

    A rolled-back change therefore leaves no event, and a committed one always has its
    event. The actor defaults to the request's user and is None for the system; IP and
    request id come from the bound audit context. The action must be registered in its
    app's `audit_actions` module (see audit.actions).
    """
    if not actions.is_well_formed(action):
        raise InvalidAuditEvent(f"action {action!r} is not a dotted lower-case name")
    if not actions.is_registered(action):
        raise InvalidAuditEvent(
            f"action {action!r} is not registered: declare it in its app's audit_actions.py"
        )
    payload = dict(data or {})
    _check_payload(payload)
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    if actor is None:
        actor = _actor_from_context()
    ctx = context.current()
    if action == "authz.denied":
        ctx.denials.append(action)
    with transaction.atomic(savepoint=False):
        return AuditEvent.objects.create(
            action=action,
            actor=actor,
            actor_username=actor.get_username() if actor else "",
            actor_roles=actor_roles(actor) if actor else [],
            ip_address=ctx.ip_address,
            request_id=ctx.request_id,
            target_type=target_type,
            target_id=str(target_id),
            data=payload,
        )
