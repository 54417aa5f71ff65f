"""Claiming cases without collisions, releasing them, and escalating them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as dt_time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone

import audit
from audit.models import AuditEvent
from moderation.exceptions import (
    CaseAlreadyClaimed,
    InvalidTransition,
    ModerationError,
    NotAllowed,
    NotClaimedByActor,
)
from moderation.models import Case, Category, Decision
from moderation.selectors import exposure
from moderation.selectors.queue import QueueFilters, apply_filters
from moderation.services.workflow import case_transition, case_transition_check

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from accounts.models import User


def _lease_end() -> Any:
    return timezone.now() + timedelta(minutes=settings.CASE_CLAIM_LEASE_MINUTES)


def _may_take(case: Case, actor: User) -> bool:
    if case.escalation:  # escalated cases are for senior moderators only
        return actor.has_perm("moderation.handle_escalations")
    return actor.has_perm("moderation.triage_cases")


def _take(case: Case, actor: User, *, how: str) -> Case:
    lease_until = _lease_end()
    previous = case.status
    case.claimed_by = actor
    case.claim_expires_at = lease_until
    case_transition(
        case=case,
        to=Case.Status.CLAIMED,
        actor=actor,
        action="case.claimed",
        fields=("claimed_by", "claim_expires_at"),
        data={"from": previous, "how": how, "lease_until": lease_until.isoformat()},
    )
    return case


def _hand_back(case: Case, *, actor: User | None, action: str, data: dict[str, Any]) -> Case:
    """Return a claimed case to the queue its escalation decides, without a holder."""
    to = case.unclaimed_status
    case.claimed_by = None
    case.claim_expires_at = None
    case_transition(
        case=case,
        to=to,
        actor=actor,
        action=action,
        fields=("claimed_by", "claim_expires_at"),
        data={**data, "to": to},
    )
    return case


@transaction.atomic(durable=True)
def case_claim(*, case_id: int, actor: User) -> Case:
    """Claim one chosen case; refused if someone else holds a live claim on it."""
    case = Case.objects.select_for_update().get(pk=case_id)
    now = timezone.now()
    if case.status == Case.Status.CLAIMED:
        if case.claimed_by_id == actor.pk:
            case.claim_expires_at = _lease_end()
            case.save(update_fields=["claim_expires_at", "updated_at"])
            return case
        holder = case.claimed_by
        if holder is not None and case.claim_expires_at and case.claim_expires_at > now:
            raise CaseAlreadyClaimed(holder=holder.get_username())
    else:
        case_transition_check(case=case, to=Case.Status.CLAIMED)
    if not _may_take(case, actor):
        raise NotAllowed("Escalated cases are handled by senior moderators.")
    return _take(case, actor, how="chosen")


class _Slot:
    """Where a per-call value goes among a cached claim statement's parameters."""

    __slots__ = ("index", "name")

    def __init__(self, index: int, name: str) -> None:
        self.index = index
        self.name = name

    def __repr__(self) -> str:
        return f"<claim parameter {self.name}>"


# The values a claim statement takes on each call, in the order `_ClaimStatement.values` gets
# them; everything else in the statement is fixed by the filters.
_ACTOR, _NOW, _LEASE, _SINCE, _CAP = (
    _Slot(index, name) for index, name in enumerate(("actor", "now", "lease", "since", "cap"))
)


def _not_graphic_past_soft_cap(graphic: tuple[str, ...]) -> RawSQL:
    """
    No graphic case for an actor past the soft cap: `exposure.over_soft_cap(actor)` as a
    condition of the claim statement (the same two counts over the last hour, the actor's
    media reveals and their decisions in graphic categories, against the same cap), so the
    check costs no round trip. Written as SQL (table names are the models', every value a
    parameter): building it from querysets cost more than running the claim statement. The
    actor, the hour's start and the cap are slots, filled in on each call.
    """
    events, decisions = AuditEvent._meta.db_table, Decision._meta.db_table
    cases, categories = Case._meta.db_table, Category._meta.db_table
    codes = ", ".join(["%s"] * len(graphic))
    sql = (
        f"NOT ({cases}.category_id IN (SELECT id FROM {categories} WHERE code IN ({codes})) "  # noqa: S608
        f"AND (SELECT COUNT(*) FROM {events} WHERE actor_id = %s AND action = %s "
        "AND occurred_at >= %s) + "
        f"(SELECT COUNT(*) FROM {decisions} d JOIN {cases} c ON c.id = d.case_id "
        f"JOIN {categories} g ON g.id = c.category_id WHERE d.moderator_id = %s "
        f"AND d.created_at >= %s AND g.code IN ({codes})) >= %s)"
    )
    params = (*graphic, _ACTOR, exposure.REVEAL, _SINCE, _ACTOR, _SINCE, *graphic, _CAP)
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611


@dataclass(frozen=True, slots=True)
class _ClaimStatement:
    """The claim statement for one set of filters: its SQL and its parameters, some slots."""

    sql: str
    params: tuple[Any, ...]

    def values(self, per_call: tuple[Any, ...]) -> list[Any]:
        return [per_call[p.index] if type(p) is _Slot else p for p in self.params]


# Claim statements by (filters, graphic categories). The SQL and the filters' parameters are
# the same on every call with the same filters; compiling the queryset again each time was
# most of a claim's cost. Bounded: filters come from a form.
_STATEMENTS: dict[tuple[QueueFilters, tuple[str, ...]], _ClaimStatement] = {}
_STATEMENTS_MAX = 512
# A filter relative to now (the deadline windows) is compiled on each call: kept, it would
# freeze the time. The parameters' types catch any other on PostgreSQL (SQLite gets text).
_CLOCK_TYPES = (date, dt_time, timedelta)


def _claim_statement(filters: QueueFilters, graphic: tuple[str, ...]) -> _ClaimStatement:
    """
    UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING, built from
    the queue's own filters (apply_filters), once per filters on this database.
    """
    key = (filters, graphic)
    found = _STATEMENTS.get(key)
    if found is not None:
        return found
    candidates = apply_filters(Case.objects.all(), filters)
    if graphic:
        candidates = candidates.filter(_not_graphic_past_soft_cap(graphic))
    pick = (
        candidates.order_by("-priority", "id")
        .select_for_update(skip_locked=True, of=("self",))
        .values("id")[:1]
    )
    # The table and column names are the model's own; every value is a parameter.
    pick_sql, pick_params = pick.query.sql_with_params()
    table = connection.ops.quote_name(Case._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in _CASE_FIELDS)
    statement = _ClaimStatement(
        sql=(
            f"UPDATE {table} SET status = %s, claimed_by_id = %s, claim_expires_at = %s, "  # noqa: S608
            f"updated_at = %s WHERE id = ({pick_sql}) AND status = %s RETURNING {columns}"
        ),
        params=(Case.Status.CLAIMED, _ACTOR, _LEASE, _NOW, *pick_params, filters.status),
    )
    if not filters.deadline and not any(isinstance(p, _CLOCK_TYPES) for p in pick_params):
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    return statement


# The statuses claim-next takes from, each checked against Case.TRANSITIONS on every call.
_NEXT_FROM = frozenset({Case.Status.OPEN, Case.Status.ESCALATED, Case.Status.LEGAL})


@transaction.atomic(durable=True)
def case_claim_next(*, actor: User, filters: QueueFilters) -> Case | None:
    """
    Give the actor the most urgent unclaimed case matching the filters.

    One statement picks and claims it (UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP
    LOCKED LIMIT 1) RETURNING), then its audit event is written: two round trips in the
    transaction. SKIP LOCKED lets concurrent callers pass over a row another transaction is
    claiming, so two moderators never get the same case and neither waits for the other. A
    moderator past the hour's soft cap on graphic material is given no case in a graphic
    category until the count falls back (the queue page says so; a case chosen by hand is
    still theirs to take). The statement is compiled once per set of filters; only its
    values change from call to call.
    """
    status = filters.status if filters.status in _NEXT_FROM else Case.Status.OPEN
    # The move is checked against Case.TRANSITIONS as case_transition would.
    if Case.Status.CLAIMED not in Case.TRANSITIONS[status]:
        raise InvalidTransition(current=status, requested=Case.Status.CLAIMED)
    if status != filters.status:
        filters = filters.with_status(status)
    now = timezone.now()
    lease_until = now + timedelta(minutes=settings.CASE_CLAIM_LEASE_MINUTES)
    statement = _claim_statement(filters, exposure.graphic_categories())
    values = statement.values(
        (actor.pk, now, lease_until, now - exposure.HOUR, settings.EXPOSURE_SOFT_CAP_PER_HOUR)
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    case = _case_from_row(row)
    if not _may_take(case, actor):
        # Raised inside the transaction: the claim statement is rolled back with it.
        raise NotAllowed("Escalated cases are handled by senior moderators.")
    audit.record(
        action="case.claimed",
        actor=actor,
        target=case,
        data={"from": status, "how": "next", "lease_until": lease_until.isoformat()},
    )
    return case


_CASE_FIELDS = list(Case._meta.concrete_fields)
_CASE_ATTNAMES = [f.attname for f in _CASE_FIELDS]
_CONVERTERS_ATTR = "_claims_case_converters"


def _case_converters(db: BaseDatabaseWrapper) -> list[tuple[int, Any, list[Any]]]:
    """
    The columns of a Case row the ORM converts, with what it applies to them, built once per
    connection (each thread has its own, and some converters are its backend's bound methods).
    """
    found = getattr(db, _CONVERTERS_ATTR, None)
    if found is None:
        found = []
        for index, field in enumerate(_CASE_FIELDS):
            col = field.get_col(Case._meta.db_table)
            funcs = [*db.ops.get_db_converters(col), *field.get_db_converters(db)]
            if funcs:
                found.append((index, col, funcs))
        setattr(db, _CONVERTERS_ATTR, found)
    return found


def _case_from_row(row: tuple[Any, ...]) -> Case:
    """The Case the ORM would build from a row of `_CASE_FIELDS` (the same converters)."""
    db = connections[DEFAULT_DB_ALIAS]
    values = list(row)
    for index, col, funcs in _case_converters(db):
        value = values[index]
        for func in funcs:
            value = func(value, col, db)
        values[index] = value
    return Case.from_db(db.alias, _CASE_ATTNAMES, values)


@transaction.atomic(durable=True)
def case_release(*, case_id: int, actor: User) -> Case:
    """The holder hands the case back to its queue."""
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.status != Case.Status.CLAIMED or case.claimed_by_id != actor.pk:
        raise NotClaimedByActor
    return _hand_back(case, actor=actor, action="case.released", data={})


@transaction.atomic(durable=True)
def case_renew_claim(*, case_id: int, actor: User) -> Case:
    """Extend the holder's lease while they work on the case (not audited: no state change)."""
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.status != Case.Status.CLAIMED or case.claimed_by_id != actor.pk:
        raise NotClaimedByActor
    case.claim_expires_at = _lease_end()
    case.save(update_fields=["claim_expires_at", "updated_at"])
    return case


@transaction.atomic(durable=True)
def claims_expire(*, now: Any = None) -> int:
    """Return cases whose lease ran out to their queue; one audit event per case."""
    now = now or timezone.now()
    expired = list(
        Case.objects.select_for_update(skip_locked=True)
        .filter(status=Case.Status.CLAIMED, claim_expires_at__lt=now)
        .order_by("pk")
    )
    for case in expired:
        _hand_back(
            case, actor=None, action="case.claim_expired", data={"holder": case.claimed_by_id}
        )
    return len(expired)


@transaction.atomic(durable=True)
def case_escalate(*, case_id: int, actor: User, to: str, note: str) -> Case:
    """Hand a claimed case to senior moderators or to legal, with the reason why."""
    note = note.strip()
    if not note:
        raise ModerationError("Say why the case is escalated.")
    if len(note) > 2000:
        raise ModerationError("The escalation note is limited to 2000 characters.")
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.status != Case.Status.CLAIMED or case.claimed_by_id != actor.pk:
        raise NotClaimedByActor
    target = {"senior": Case.Status.ESCALATED, "legal": Case.Status.LEGAL}.get(to)
    if target is None:
        raise ModerationError("Escalate to 'senior' or 'legal'.")
    if case.escalation == to:
        raise InvalidTransition(current=f"escalated to {to}", requested=target)
    case.escalation = to
    case.escalated_by = actor
    case.escalation_note = note
    case.claimed_by = None
    case.claim_expires_at = None
    fields: tuple[str, ...] = ()
    data: dict[str, Any] = {"to": to}
    if target == Case.Status.LEGAL and case.rollup_parent_id:
        # A message case escalated to legal leaves its private group's roll-up: legal
        # handles it on its own, and the group-level decision does not resolve it.
        data["left_group_case"] = case.rollup_parent_id
        case.rollup_parent = None
        fields = ("rollup_parent",)
    case_transition(
        case=case,
        to=target,
        actor=actor,
        action="case.escalated",
        fields=(
            "escalation",
            "escalated_by",
            "escalation_note",
            "claimed_by",
            "claim_expires_at",
            *fields,
        ),
        data=data,
    )
    return case
