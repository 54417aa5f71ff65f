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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from audit import checkpoint as notes
from audit import merkle
from audit.canonical import canonical_event_bytes
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
def event_dict(event: AuditEvent) -> dict[str, Any]:
    occurred = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "id": event.pk,
        "occurred_at": occurred,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "actor_roles": list(event.actor_roles),
        "ip_address": event.ip_address,
        "request_id": event.request_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
    }


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


def _append(events: list[AuditEvent], size: int) -> SealResult:
    """Give `events` the leaf indexes from `size` on, and store the subtrees they complete."""
    hashes = [merkle.leaf_hash(event_bytes(e)) for e in events]
    now = timezone.now()
    AuditLeaf.objects.bulk_create(
        AuditLeaf(leaf_index=size + i, event=e, leaf_hash=h, sealed_at=now)
        for i, (e, h) in enumerate(zip(events, hashes, strict=True))
    )
    # Leaves are the level-0 nodes; the new perfect subtrees above them are stored too.
    nodes = [AuditNode(level=0, position=size + i, hash=h) for i, h in enumerate(hashes)]
    get_node = StoredNodes()
    for i, h in enumerate(hashes):
        get_node.cache[(0, size + i)] = h
    completed = merkle.perfect_nodes_for_append(size, hashes, get_node)
    nodes += [AuditNode(level=lv, position=p, hash=h) for lv, p, h in completed if lv > 0]
    AuditNode.objects.bulk_create(nodes)
    return SealResult(len(events), size + len(events))


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
    events = list(AuditEvent.objects.filter(pk__in=late).order_by("id")) if late else []
    events += AuditEvent.objects.filter(id__gt=high).order_by("id")[: batch - len(events)]
    if not events:
        return SealResult(0, size)
    return _append(events, size)


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
    while events := list(missing[:SEAL_BATCH]):
        size = _append(events, size).tree_size


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


def verify_live(*, progress: Any = None, expected_key: str | None = None) -> LiveVerification:
    """
    Check the live database: every event's canonical bytes still hash to its stored leaf
    hash, leaf indexes are gapless, and the tree rebuilt from the events' bytes reproduces
    every signed checkpoint (signature, root) and their consistency — the same checks as
    the offline verifier, which it runs on a fresh export.

    `expected_key` is the verifier key obtained out of band. Without it the checkpoints are
    checked with this server's own key, which whoever could rewrite the tables and the
    settings could have replaced (`key_pinned` is then False).
    """
    import tempfile

    from audit.verify import verify_directory

    size = tree_size()
    leaves = AuditLeaf.objects.select_related("event").order_by("leaf_index").iterator(2000)
    for expected, leaf in enumerate(leaves):
        if leaf.leaf_index != expected:
            return LiveVerification(
                False,
                f"leaf index {expected} is missing (next is {leaf.leaf_index})",
                size,
                first_bad_index=expected,
                key_pinned=expected_key is not None,
            )
        if merkle.leaf_hash(event_bytes(leaf.event)) != bytes(leaf.leaf_hash):
            return LiveVerification(
                False,
                f"event at leaf {expected} (id {leaf.event_id}) was changed",
                size,
                first_bad_index=expected,
                key_pinned=expected_key is not None,
            )
        if progress and expected % 1000 == 999:
            progress(min(90, 90 * (expected + 1) // max(size, 1)))
    with tempfile.TemporaryDirectory() as tmp:
        export(Path(tmp))
        report = verify_directory(Path(tmp), public_key=expected_key)
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
