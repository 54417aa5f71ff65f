"""Writing the audit trail."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Field
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from audit import actions, context
from audit.canonical import EVENT_FIELDS
from audit.log.encoding import event_body_parts
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


# The event's columns in the order `_insert()` writes them (the id is the database's).
_COLUMNS = ("occurred_at", "actor", *EVENT_FIELDS[3:], "canonical_body")
_PREPARED = ("occurred_at", "actor_roles", "ip_address", "data")
# The body joined around the address as the database reads the address back: on PostgreSQL
# the inet type's own text of the value (abbrev is the column's output format).
_ADDRESS_SQL = {
    "postgresql": "abbrev(CAST(%s AS inet))",
    "sqlite": "%s",
}


@lru_cache(maxsize=1)
def _insert() -> tuple[str, tuple[Field, ...]]:
    """The INSERT `record` runs, and the fields whose values their database form replaces."""
    meta = AuditEvent._meta
    by_name: dict[str, Field] = {field.name: field for field in meta.concrete_fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(by_name[name].column)) for name in _COLUMNS)
    address = _ADDRESS_SQL[connection.vendor]
    body = f"%s || COALESCE('\"' || {address} || '\"', 'null') || %s"
    marks = ", ".join(["%s"] * (len(_COLUMNS) - 1) + [body])
    pk = quote(str(by_name["id"].column))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) RETURNING {pk}"  # noqa: S608
    return sql, tuple(by_name[name] for name in _PREPARED)


def _insert_event(values: dict[str, Any], body: tuple[str, str]) -> AuditEvent:
    """
    Write one event with a plain INSERT ... RETURNING and build its instance from the values:
    the same row `Model.save()` writes (the database values of the same fields, prepared the
    way the fields prepare them), at a fraction of its Python cost, which `record` pays in
    every sensitive service. AuditEvent has no save signal receivers; should one be
    connected, the event goes through `save()` so that it runs (without a body: the sealer
    then encodes its columns).
    """
    if pre_save.has_listeners(AuditEvent) or post_save.has_listeners(AuditEvent):
        return AuditEvent.objects.create(**values)
    sql, prepared = _insert()
    params = dict(values)
    params["actor"] = values["actor"].pk if values["actor"] is not None else None
    for field in prepared:
        params[field.name] = field.get_db_prep_save(values[field.name], connection)
    head, tail = body
    row = [params[name] for name in _COLUMNS[:-1]] + [head, params["ip_address"], tail]
    with connection.cursor() as cursor:
        cursor.execute(sql, row)
        (pk,) = cursor.fetchone()
    event = AuditEvent(pk=pk, **values)
    event._state.adding = False
    event._state.db = connection.alias
    return event


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
    app's `audit_actions` module (see audit.actions). The event's canonical body is
    written with it, for the sealer (see AuditEvent.canonical_body).
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
    values: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor": actor,
        "actor_username": actor.get_username() if actor else "",
        "actor_roles": actor_roles(actor) if actor else [],
        "ip_address": ctx.ip_address,
        "request_id": ctx.request_id,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "data": payload,
    }
    try:
        body = event_body_parts(
            occurred_at=values["occurred_at"],
            actor_id=actor.pk if actor else None,
            actor_username=values["actor_username"],
            actor_roles=values["actor_roles"],
            request_id=values["request_id"],
            action=action,
            target_type=target_type,
            target_id=values["target_id"],
            data=payload,
        )
    except UnicodeEncodeError as exc:
        raise InvalidAuditEvent(f"data: a string is not valid Unicode ({exc.reason})") from exc
    with transaction.atomic(savepoint=False):
        return _insert_event(values, body)
