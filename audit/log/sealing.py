"""
Sealing: committed, unsealed events get gapless leaf indexes in the order they are sealed,
their leaf hashes and the perfect subtree hashes they complete are stored, and checkpoints
sign (size, root).

Finding what to seal costs the same at any size of the log. Events past the highest sealed
event id are found by a range on the primary key. An event whose transaction committed after
higher ids were sealed (a late commit) sits below that id: the sealer compares two counts
over the SEAL_LOOKBACK ids below it (events, and leaves by event id, both indexed) and only
reads ids when they differ. A transaction that stays open while more than SEAL_LOOKBACK
events are sealed is caught by `checkpoint_create`, which compares the number of events with
the tree size (one count) and seals whatever is missing before signing.

An event's leaf is hashed from the body `audit.record` stored with it (audit.log.encoding),
by PostgreSQL as the sealer reads it, so sealing reads no JSON and encodes nothing; an event
without one is encoded from its columns. Nothing here is trusted by the verifiers, which
re-derive every event's bytes from its columns: a column changed before sealing no longer
matches its leaf.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from audit import checkpoint as notes
from audit import merkle
from audit.log.encoding import (
    EVENT_COLUMNS,
    EventRow,
    bytes_from_body,
    event_row_bytes,
    json_column,
)
from audit.log.keys import signing_key
from audit.log.tree import StoredNodes, last_sealed_event_id, load_frontier, root_at, tree_size
from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode

SEAL_BATCH = 5000
#: How far below the highest sealed event id each sealer run looks for late commits.
SEAL_LOOKBACK = 1000
_ADVISORY_LOCK = 7_306_211  # any constant: one sealer at a time across processes

#: An event to seal: its id and its leaf hash.
EventLeaf = tuple[int, bytes]


@dataclass(frozen=True)
class SealResult:
    sealed: int
    tree_size: int


def _take_sealer_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
    # SQLite: write transactions are serialised (IMMEDIATE), which is the same guarantee.


def _late_event_ids(high: int, *, lookback: int = SEAL_LOOKBACK) -> list[int]:
    """
    Unsealed events among the `lookback` ids at or below `high` (late commits), oldest first.
    Two counts on indexed ranges when there are none, which is nearly always.
    """
    low = max(high - lookback, 0)
    events = AuditEvent.objects.filter(id__gt=low, id__lte=high)
    leaves = AuditLeaf.objects.filter(event_id__gt=low, event_id__lte=high)
    if events.count() == leaves.count():
        return []
    sealed = set(leaves.values_list("event_id", flat=True))
    return [pk for pk in events.order_by("id").values_list("id", flat=True) if pk not in sealed]


#: Rows sent per write of a COPY.
_COPY_PIECE = 2000


def _append(leaves: list[EventLeaf], size: int) -> SealResult:
    """
    Give the events in `leaves` the leaf indexes from `size` on, and store the perfect
    subtrees they complete (the leaves themselves are the level-0 nodes).
    """
    get_node = StoredNodes()
    load_frontier(size, get_node)
    now = timezone.now()
    if connection.vendor == "postgresql":
        _copy_append(leaves, size, get_node, now)
    else:
        hashes = [h for _, h in leaves]
        nodes = merkle.perfect_nodes_for_append(size, hashes, get_node)
        AuditLeaf.objects.bulk_create(
            AuditLeaf(leaf_index=size + i, event_id=pk, leaf_hash=h, sealed_at=now)
            for i, (pk, h) in enumerate(leaves)
        )
        AuditNode.objects.bulk_create(AuditNode(level=lv, position=p, hash=h) for lv, p, h in nodes)
    return SealResult(len(leaves), size + len(leaves))


def _copy_append(leaves: list[EventLeaf], size: int, get_node: StoredNodes, now: datetime) -> None:
    """
    Write the nodes, then the leaves, with COPY: the ORM's INSERT of the same rows took most
    of a seal (a parameter built and bound per column per row). Rows are numbers, hex bytea
    and one timestamp: the text format needs no escaping beyond bytea's backslash.
    """
    nodes = merkle.perfect_nodes_for_append(size, [h for _, h in leaves], get_node)
    stamp = f"{now.isoformat()}\n"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy("COPY audit_auditnode (level, position, hash) FROM STDIN") as copy:
            for start in range(0, len(nodes), _COPY_PIECE):
                rows = nodes[start : start + _COPY_PIECE]
                copy.write("".join([f"{lv}\t{p}\t\\\\x{h.hex()}\n" for lv, p, h in rows]))
        with raw.copy(
            "COPY audit_auditleaf (leaf_index, event_id, leaf_hash, sealed_at) FROM STDIN"
        ) as copy:
            for start in range(0, len(leaves), _COPY_PIECE):
                piece = leaves[start : start + _COPY_PIECE]
                lines = [
                    f"{size + start + i}\t{pk}\t\\\\x{h.hex()}\t" for i, (pk, h) in enumerate(piece)
                ]
                copy.write(stamp.join(lines) + stamp)


def _fetch(query: QuerySet) -> list[tuple]:
    """
    The rows of a `values_list` query; on PostgreSQL through the plain cursor (the ORM's row
    converters cost as much as the query), so JSON columns come as text.
    """
    if connection.vendor != "postgresql":
        return list(query)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _event_rows(events: QuerySet[AuditEvent]) -> list[EventRow]:
    """The EVENT_COLUMNS of `events`, the two JSON columns decoded."""
    rows = _fetch(events.values_list(*EVENT_COLUMNS))
    if connection.vendor != "postgresql":
        return rows
    loads = json_column
    roles_seen: dict[str, list[str]] = {}  # few distinct role lists: decode each once

    def roles_of(text: str) -> list[str]:
        found = roles_seen.get(text)
        if found is None:
            found = roles_seen[text] = loads(text)
        return found

    return [
        (pk, at, actor, name, roles_of(roles), ip, rid, action, t_type, t_id, loads(data))
        for pk, at, actor, name, roles, ip, rid, action, t_type, t_id, data in rows
    ]


def _event_leaves(events: QuerySet[AuditEvent]) -> list[EventLeaf]:
    """
    The ids and leaf hashes of `events`, in id order: from the body `audit.record` wrote (no
    JSON to decode, nothing to encode; on PostgreSQL the database hashes it as it reads it),
    else encoded from the columns (one more query, only when some event has no body).
    """
    query = events.values_list("id", "canonical_body")
    leaves: list[EventLeaf] = []
    if connection.vendor == "postgresql":
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(_HASHED.format(events=sql), params)
            leaves = [(pk, bytes(h) if h is not None else b"") for pk, h in cursor.fetchall()]
    else:
        for pk, body in query:
            text = b""
            if body is not None:
                with contextlib.suppress(ValueError):  # not a body: the columns say what it is
                    text = bytes_from_body(body, pk)
            leaves.append((pk, merkle.leaf_hash(text) if text else b""))
    unwritten = [at for at, (_, h) in enumerate(leaves) if not h]
    if unwritten:
        ids = [leaves[at][0] for at in unwritten]
        encoded = {row[0]: event_row_bytes(row) for row in _event_rows(_by_ids(ids))}
        for at in unwritten:
            pk = leaves[at][0]
            leaves[at] = (pk, merkle.leaf_hash(encoded[pk]))
    return leaves


# The leaf hash of a body computed by PostgreSQL, SHA-256(0x00 || its UTF-8 text with the id
# in place of the mark), as `bytes_from_body` and `merkle.leaf_hash` compute it; null for an
# event without a body or with something else (not one mark).
_HASHED = (
    "SELECT e.id, CASE WHEN left(e.canonical_body, 10) = '{{\"action\":' "
    "AND length(e.canonical_body) - length(replace(e.canonical_body, chr(1), '')) = 1 "
    "THEN sha256('\\x00'::bytea || convert_to(replace(e.canonical_body, chr(1), e.id::text), "
    "'UTF8')) END FROM ({events}) AS e ORDER BY e.id"
)


def _by_ids(ids: list[int]) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(pk__in=ids).order_by("id")


def seal(*, batch: int = SEAL_BATCH) -> SealResult:
    """
    Give committed, unsealed events the next leaf indexes and extend the tree.

    With nothing to seal this is a handful of queries on indexed columns, however long the
    log (see the module docstring); late commits are sealed before newer events.

    Run in its own transaction (the periodic task), its commit does not wait for the WAL to
    reach the disk (PostgreSQL's synchronous_commit off, for this transaction only): a
    batch lost in a crash is only leaves and nodes derived from committed events, which the
    next run seals again, and nothing vouches for them before a checkpoint, whose own
    (synchronous) commit flushes every seal before it.
    """
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        _take_sealer_lock()
        if own_transaction and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return _seal_batch(batch)


def _seal_batch(batch: int) -> SealResult:
    size = tree_size()
    high = last_sealed_event_id()
    late = _late_event_ids(high)[:batch]
    leaves = _event_leaves(_by_ids(late)) if late else []
    if len(leaves) < batch:
        leaves += _event_leaves(
            AuditEvent.objects.filter(id__gt=high).order_by("id")[: batch - len(leaves)]
        )
    if not leaves:
        return SealResult(0, size)
    return _append(leaves, size)


def _seal_stragglers() -> None:
    """
    Seal what the sealer's look-back cannot see: an event whose transaction stayed open while
    more than SEAL_LOOKBACK later events were sealed. One count of the events when there is
    none; the anti-join that finds them runs only when that count says one exists.
    """
    while _seal_batch(SEAL_BATCH).sealed:
        pass
    size = tree_size()
    if AuditEvent.objects.count() == size:
        return
    missing = AuditEvent.objects.filter(leaf__isnull=True).order_by("id")
    while leaves := _event_leaves(missing[:SEAL_BATCH]):
        size = _append(leaves, size).tree_size


@transaction.atomic
def checkpoint_create() -> AuditCheckpoint | None:
    """
    Sign the current (size, root) unless the last checkpoint already covers it; any event
    the sealer's look-back missed is sealed first, so a checkpoint never leaves one behind.
    """
    _take_sealer_lock()
    _seal_stragglers()
    size = tree_size()
    last = AuditCheckpoint.objects.order_by("-tree_size").first()
    if size == 0 or (last and last.tree_size >= size):
        return last
    root = root_at(size)
    body = notes.checkpoint_body(settings.AUDIT_LOG_ORIGIN, size, root)
    note = notes.sign_checkpoint(body, settings.AUDIT_KEY_NAME, signing_key())
    return AuditCheckpoint.objects.create(tree_size=size, root_hash=root, note=note)


def seal_and_checkpoint() -> AuditCheckpoint | None:
    """Used after a release: its event is in the log and under a signed checkpoint at once."""
    while seal().sealed:
        pass
    return checkpoint_create()


@dataclass(frozen=True)
class Backlog:
    """Events waiting to be sealed, and how many of them wait past the maximum merge delay."""

    unsealed: int
    overdue: int


def backlog(*, now: datetime | None = None) -> Backlog:
    """
    What the sealer has yet to do, counted the way it finds work (the same few indexed
    queries whatever the size of the log; see the module docstring).
    """
    limit = (now or timezone.now()) - timedelta(seconds=settings.AUDIT_MAX_MERGE_DELAY_SECONDS)
    high = last_sealed_event_id()
    late = _late_event_ids(high)
    pending = AuditEvent.objects.filter(id__gt=high)
    if late:
        pending = pending | AuditEvent.objects.filter(pk__in=late)
    counts = pending.aggregate(
        unsealed=Count("id"), overdue=Count("id", filter=Q(occurred_at__lt=limit))
    )
    return Backlog(unsealed=counts["unsealed"], overdue=counts["overdue"])


def unsealed_overdue(*, now: datetime | None = None) -> int:
    """How many events wait longer than the maximum merge delay (an alarm when > 0)."""
    return backlog(now=now).overdue
