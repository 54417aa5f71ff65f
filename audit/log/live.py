"""
The live verification (`manage.py verify_audit`): the offline verifier's checks
(`audit.verify.verify_log`) over the database in one streamed pass, without writing and
re-reading an export. Each event's canonical bytes are re-encoded from its columns; the body
the sealer hashed (`canonical_body`) is never read, so it cannot vouch for a changed column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

from audit import actions, merkle
from audit.canonical import canonical_stored_event_bytes
from audit.log.encoding import EVENT_COLUMNS, event_row_dict, json_column
from audit.log.keys import verifier_key
from audit.log.tree import tree_size
from audit.models import AuditCheckpoint, AuditLeaf


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
    loads = json_column
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
