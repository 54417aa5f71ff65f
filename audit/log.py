"""
The tamper-evident log over the audit trail (RFC 6962 Merkle tree, C2SP checkpoints).

Writers never wait: `audit.record()` stays a plain insert. The sealer gives committed,
unsealed events gapless leaf indexes in the order it seals them, stores their leaf hashes
and the perfect subtree hashes they complete, and checkpoints sign (size, root) with a key
that never lives in the database. See docs/audit-format.md for the exact formats.

Finding what to seal costs the same at any size of the log. Events past the highest sealed
event id are found by a range on the primary key. An event whose transaction committed after
higher ids were sealed (a late commit) sits below that id: the sealer compares two counts
over the SEAL_LOOKBACK ids below it (events, and leaves by event id, both indexed) and only
reads ids when they differ. A transaction that stays open while more than SEAL_LOOKBACK
events are sealed is caught by `checkpoint_create`, which compares the number of events with
the tree size (one count) and seals whatever is missing before signing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from audit import actions, merkle
from audit import checkpoint as notes
from audit.canonical import EVENT_FIELDS, canonical_event_bytes, canonical_stored_event_bytes
from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode
from config.keys import load_ed25519_key

SEAL_BATCH = 5000
#: How far below the highest sealed event id each sealer run looks for late commits.
SEAL_LOOKBACK = 1000
_ADVISORY_LOCK = 7_306_211  # any constant: one sealer at a time across processes


# --- keys -------------------------------------------------------------------------------------
@lru_cache(maxsize=2)
def _signing_key(raw: str, path: str) -> Ed25519PrivateKey:
    return load_ed25519_key(raw=raw, path=path, setting="AUDIT_SIGNING_KEY", dev_label="audit-log")


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(settings.AUDIT_SIGNING_KEY, settings.AUDIT_SIGNING_KEY_FILE)


def verifier_key() -> str:
    """The public verifier key (C2SP vkey) to give auditors; shown on the integrity page."""
    return notes.verifier_key(settings.AUDIT_KEY_NAME, signing_key().public_key())


# --- encoding ---------------------------------------------------------------------------------
#: The event columns the canonical encoding reads, in `event_row_bytes` order.
EVENT_COLUMNS = EVENT_FIELDS
EventRow = tuple[Any, ...]


def _occurred_text(value: datetime) -> str:
    if value.utcoffset() != timedelta(0):
        value = value.astimezone(UTC)
    # isoformat is several times faster than strftime; same text for aware UTC times
    # (YYYY-MM-DDTHH:MM:SS.ffffff+00:00 with the offset replaced by Z).
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def event_row_dict(row: EventRow) -> dict[str, Any]:
    """The event object of a row of EVENT_COLUMNS (a `values_list` row, no model instance)."""
    pk, occurred, actor_id, username, roles, ip, request_id, action, t_type, t_id, data = row
    return {
        "id": pk,
        "occurred_at": _occurred_text(occurred),
        "actor_id": actor_id,
        "actor_username": username,
        "actor_roles": list(roles),
        "ip_address": ip,
        "request_id": request_id,
        "action": action,
        "target_type": t_type,
        "target_id": t_id,
        "data": data,
    }


def event_row_bytes(row: EventRow) -> bytes:
    """The canonical bytes of a row of EVENT_COLUMNS read from the audit table."""
    return canonical_stored_event_bytes(event_row_dict(row))


def event_dict(event: AuditEvent) -> dict[str, Any]:
    return event_row_dict(tuple(getattr(event, name) for name in _MODEL_ATTRS))


_MODEL_ATTRS = ("pk", *EVENT_COLUMNS[1:])


def event_bytes(event: AuditEvent) -> bytes:
    return canonical_event_bytes(event_dict(event))


# --- stored tree ------------------------------------------------------------------------------
class StoredNodes:
    """`get_node(level, position)` over AuditNode rows, cached for one operation."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int], bytes] = {}

    def __call__(self, level: int, position: int) -> bytes:
        key = (level, position)
        if key not in self.cache:
            row = AuditNode.objects.filter(level=level, position=position).values_list(
                "hash", flat=True
            )
            found = row.first()
            if found is None:
                raise LookupError(f"no stored node at level {level}, position {position}")
            self.cache[key] = bytes(found)
        return self.cache[key]


def _frontier(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees a tree of `size` leaves is made of, as (level, position)."""
    return [(lv, (size >> lv) - 1) for lv in range(size.bit_length()) if size >> lv & 1]


def _load_frontier(size: int, get_node: StoredNodes) -> None:
    """
    Read in one query every stored node an append to a tree of `size` may need: a new
    subtree's left siblings are all among the perfect subtrees the old tree is made of.
    """
    wanted = _frontier(size)
    if not wanted:
        return
    match = Q()
    for level, position in wanted:
        match |= Q(level=level, position=position)
    for level, position, h in AuditNode.objects.filter(match).values_list(
        "level", "position", "hash"
    ):
        get_node.cache[(level, position)] = bytes(h)


def tree_size() -> int:
    top = AuditLeaf.objects.aggregate(top=Max("leaf_index"))["top"]
    return 0 if top is None else top + 1


def last_sealed_event_id() -> int:
    """The highest event id in the log (0 when empty): a max over the leaves' unique index."""
    top = AuditLeaf.objects.aggregate(top=Max("event_id"))["top"]
    return top or 0


def root_at(size: int) -> bytes:
    if size == 0:
        return hashlib.sha256(b"").digest()
    return merkle.range_hash(0, size, StoredNodes())


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


#: Events hashed per piece of a streamed COPY: the database inserts one piece while the
#: next is encoded and hashed.
_COPY_PIECE = 500


def _append(rows: list[EventRow], size: int) -> SealResult:
    """
    Give the events in `rows` (EVENT_COLUMNS) the leaf indexes from `size` on, and store
    the perfect subtrees they complete (the leaves themselves are the level-0 nodes).
    """
    get_node = StoredNodes()
    _load_frontier(size, get_node)
    now = timezone.now()
    if connection.vendor == "postgresql":
        _copy_append(rows, size, get_node, now)
    else:
        hashes = [merkle.leaf_hash(event_row_bytes(row)) for row in rows]
        nodes = merkle.perfect_nodes_for_append(size, hashes, get_node)
        AuditLeaf.objects.bulk_create(
            AuditLeaf(leaf_index=size + i, event_id=row[0], leaf_hash=h, sealed_at=now)
            for i, (row, h) in enumerate(zip(rows, hashes, strict=True))
        )
        AuditNode.objects.bulk_create(AuditNode(level=lv, position=p, hash=h) for lv, p, h in nodes)
    return SealResult(len(rows), size + len(rows))


def _copy_append(rows: list[EventRow], size: int, get_node: StoredNodes, now: datetime) -> None:
    """
    Write the nodes, then the leaves, with COPY: the ORM's INSERT of the same rows took most
    of a seal (a parameter built and bound per column per row). The node rows are sent in
    pieces as they are computed, so the server inserts while Python hashes. Rows are numbers,
    hex bytea and one timestamp: the text format needs no escaping beyond bytea's backslash.
    """
    leaf_lines: list[str] = []
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy("COPY audit_auditnode (level, position, hash) FROM STDIN") as copy:
            for start in range(0, len(rows), _COPY_PIECE):
                piece = rows[start : start + _COPY_PIECE]
                hashes = [merkle.leaf_hash(event_row_bytes(row)) for row in piece]
                nodes = merkle.perfect_nodes_for_append(size + start, hashes, get_node)
                copy.write("".join([f"{lv}\t{p}\t\\\\x{h.hex()}\n" for lv, p, h in nodes]))
                # The next piece's left siblings are among these (or were read before).
                get_node.cache.update(((lv, p), h) for lv, p, h in nodes)
                leaf_lines += [
                    f"{size + start + i}\t{row[0]}\t\\\\x{h.hex()}\t"
                    for i, (row, h) in enumerate(zip(piece, hashes, strict=True))
                ]
        stamp = f"{now.isoformat()}\n"
        with raw.copy(
            "COPY audit_auditleaf (leaf_index, event_id, leaf_hash, sealed_at) FROM STDIN"
        ) as copy:
            copy.write(stamp.join(leaf_lines) + stamp)


_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json_column(text: str) -> Any:
    """
    A JSON column's text as PostgreSQL sends it: one value, no surrounding whitespace. The
    decoder's scanner alone, without `json.loads`'s two whitespace searches, which cost a
    tenth of the live verification; anything else goes through `json.loads`.
    """
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def _event_rows(events: QuerySet[AuditEvent]) -> list[EventRow]:
    """
    The EVENT_COLUMNS of `events`. On PostgreSQL through the plain cursor: the ORM's row
    converters cost as much as the query, and only the two JSON columns need decoding.
    """
    query = events.values_list(*EVENT_COLUMNS)
    if connection.vendor != "postgresql":
        return list(query)
    sql, params = query.query.sql_with_params()
    loads = _json_column
    roles_seen: dict[str, list[str]] = {}  # few distinct role lists: decode each once

    def roles_of(text: str) -> list[str]:
        found = roles_seen.get(text)
        if found is None:
            found = roles_seen[text] = loads(text)
        return found

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (pk, at, actor, name, roles_of(roles), ip, rid, action, t_type, t_id, loads(data))
            for pk, at, actor, name, roles, ip, rid, action, t_type, t_id, data in cursor.fetchall()
        ]


@transaction.atomic
def seal(*, batch: int = SEAL_BATCH) -> SealResult:
    """
    Give committed, unsealed events the next leaf indexes and extend the tree.

    With nothing to seal this is a handful of queries on indexed columns, however long the
    log (see the module docstring); late commits are sealed before newer events.
    """
    _take_sealer_lock()
    return _seal_batch(batch)


def _seal_batch(batch: int) -> SealResult:
    size = tree_size()
    high = last_sealed_event_id()
    late = _late_event_ids(high)[:batch]
    rows = _event_rows(AuditEvent.objects.filter(pk__in=late).order_by("id")) if late else []
    if len(rows) < batch:
        rows += _event_rows(
            AuditEvent.objects.filter(id__gt=high).order_by("id")[: batch - len(rows)]
        )
    if not rows:
        return SealResult(0, size)
    return _append(rows, size)


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
    while rows := _event_rows(missing[:SEAL_BATCH]):
        size = _append(rows, size).tree_size


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


# --- proofs -----------------------------------------------------------------------------------
def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def inclusion_proof_for(*, event: AuditEvent, checkpoint: AuditCheckpoint | None = None) -> dict:
    """An event's inclusion proof against a checkpoint (the latest covering it by default)."""
    leaf = AuditLeaf.objects.get(event=event)
    if checkpoint is None:
        checkpoint = (
            AuditCheckpoint.objects.filter(tree_size__gt=leaf.leaf_index)
            .order_by("-tree_size")
            .first()
        )
    if checkpoint is None or checkpoint.tree_size <= leaf.leaf_index:
        raise LookupError("no checkpoint covers this event yet")
    proof = merkle.inclusion_proof(leaf.leaf_index, checkpoint.tree_size, StoredNodes())
    return {
        "format": "tsdash-inclusion-proof/1",
        "leaf_index": leaf.leaf_index,
        "tree_size": checkpoint.tree_size,
        "canonical": event_bytes(event).decode(),
        "leaf_hash": _b64(bytes(leaf.leaf_hash)),
        "proof": [_b64(h) for h in proof],
        "checkpoint": checkpoint.note,
        "verifier_key": verifier_key(),
    }


def consistency_proof_between(*, old: AuditCheckpoint, new: AuditCheckpoint) -> dict:
    proof = merkle.consistency_proof(old.tree_size, new.tree_size, StoredNodes())
    return {
        "format": "tsdash-consistency-proof/1",
        "old_size": old.tree_size,
        "new_size": new.tree_size,
        "proof": [_b64(h) for h in proof],
        "old_checkpoint": old.note,
        "new_checkpoint": new.note,
        "verifier_key": verifier_key(),
    }


# --- export and live verification ---------------------------------------------------------------
def export(directory: Path) -> int:
    """Write events (canonical text), checkpoints and the public key in the verifier's format."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoints").mkdir(exist_ok=True)
    count = 0
    with (directory / "events.jsonl").open("w", encoding="utf-8") as out:
        leaves = AuditLeaf.objects.select_related("event").order_by("leaf_index").iterator(2000)
        for leaf in leaves:
            line = {
                "leaf_index": leaf.leaf_index,
                "canonical": event_bytes(leaf.event).decode(),
                "leaf_hash": _b64(bytes(leaf.leaf_hash)),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    for cp in AuditCheckpoint.objects.order_by("tree_size"):
        (directory / "checkpoints" / f"{cp.tree_size:012d}.txt").write_text(cp.note, "utf-8")
    (directory / "public_key.txt").write_text(verifier_key() + "\n", "utf-8")
    return count


@dataclass(frozen=True)
class LiveVerification:
    ok: bool
    message: str
    tree_size: int
    first_bad_index: int | None = None
    bad_checkpoint: str | None = None
    #: Checked with a key the caller gave (True), or with this server's own key (False).
    key_pinned: bool = False


#: Leaves read per round trip by the live verifier (and its progress step).
VERIFY_CHUNK = 5000
_LEAF_COLUMNS = ("leaf_index", "leaf_hash", *(f"event__{name}" for name in EVENT_COLUMNS))


def _leaf_rows() -> Iterator[tuple[Any, ...]]:
    """
    Every leaf with its event's EVENT_COLUMNS, in leaf order, streamed in chunks: no model
    instances, and on PostgreSQL a server-side cursor whose two JSON columns are decoded here
    (the ORM's per-row converters cost as much as the rest of the check).
    """
    query = AuditLeaf.objects.order_by("leaf_index").values_list(*_LEAF_COLUMNS)
    if connection.vendor != "postgresql":
        for row in query.iterator(chunk_size=VERIFY_CHUNK):
            yield (row[0], row[1], row[2:])
        return
    sql, params = query.query.sql_with_params()
    loads = _json_column
    roles_seen: dict[str, list[str]] = {}
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(VERIFY_CHUNK):
            for index, leaf, pk, at, actor, name, roles, ip, rid, action, tt, tid, data in chunk:
                if (parsed := roles_seen.get(roles)) is None:
                    parsed = roles_seen[roles] = loads(roles)
                yield (
                    index,
                    leaf,
                    (pk, at, actor, name, parsed, ip, rid, action, tt, tid, loads(data)),
                )


def _stored_rule_violation(event: dict[str, Any]) -> str | None:
    """
    `audit.export_reader.event_rule_violation` for an event read from the table: its time
    comes from a timestamp column, so it is a real time by construction; the rest is checked.
    """
    roles = event["actor_roles"]
    if roles != sorted(roles):
        return f"actor_roles {roles!r} are not sorted"
    if not actions.is_well_formed(event["action"]):
        return f"action {event['action']!r} is not a dotted lower-case name"
    return None


def verify_live(*, progress: Any = None, expected_key: str | None = None) -> LiveVerification:
    """
    Check the live database in one streamed pass: every leaf index is present in order, each
    event's canonical bytes (re-encoded from its columns) follow the format's rules and hash
    to its stored leaf hash, no event is sealed twice, and the tree rebuilt from those bytes
    reproduces every signed checkpoint (signature, root) and their consistency: the offline
    verifier's checks (`audit.verify.verify_log`), without writing and re-reading an export.

    `expected_key` is the verifier key obtained out of band. Without it the checkpoints are
    checked with this server's own key, which whoever could rewrite the tables and the
    settings could have re-signed (`key_pinned` is then False).
    """
    from audit.verify import verify_log

    size = tree_size()
    pinned = expected_key is not None

    def failed(message: str, index: int) -> LiveVerification:
        return LiveVerification(False, message, size, first_bad_index=index, key_pinned=pinned)

    tree = merkle.MemoryTree()
    hashes: list[bytes] = []
    seen: dict[int, int] = {}
    for expected, (index, stored, row) in enumerate(_leaf_rows()):
        if index != expected:
            return failed(f"leaf index {expected} is missing (next is {index})", expected)
        event = event_row_dict(row)
        try:
            data = canonical_stored_event_bytes(event)
        except ValueError as exc:
            return failed(f"event at leaf {index} (id {row[0]}) is not canonical: {exc}", index)
        problem = _stored_rule_violation(event)
        earlier = seen.setdefault(row[0], index)
        if problem is None and earlier != index:
            problem = f"event id {row[0]} is already at leaf {earlier} (sealed twice)"
        if problem is not None:
            return failed(f"event at leaf {index} (id {row[0]}): {problem}", index)
        computed = merkle.leaf_hash(data)
        if computed != bytes(stored):
            return failed(f"event at leaf {index} (id {row[0]}) was changed", index)
        hashes.append(computed)
        if len(hashes) == VERIFY_CHUNK:
            tree.extend(hashes)
            hashes = []
            if progress:
                progress(min(90, 90 * (expected + 1) // max(size, 1)))
    tree.extend(hashes)
    notes = AuditCheckpoint.objects.order_by("tree_size").values_list("tree_size", "note")
    report = verify_log(tree, notes, own_key=verifier_key(), public_key=expected_key)
    if progress:
        progress(100)
    if not report.ok:
        return LiveVerification(
            False,
            "; ".join(report.errors),
            size,
            first_bad_index=report.first_bad_index,
            bad_checkpoint=report.bad_checkpoint,
            key_pinned=report.key_pinned,
        )
    return LiveVerification(
        True,
        f"intact: {size} events, {len(report.checkpoints)} checkpoints",
        size,
        key_pinned=report.key_pinned,
    )
