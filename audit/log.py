"""
The tamper-evident log over the audit trail (RFC 6962 Merkle tree, C2SP checkpoints).

Writers never wait: `audit.record()` stays a plain insert. The sealer gives committed,
unsealed events gapless leaf indexes in the order it seals them, stores their leaf hashes
and the perfect subtree hashes they complete, and checkpoints sign (size, root) with a key
that never lives in the database. See docs/audit-format.md for the exact formats.
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
from django.db.models import Max
from django.utils import timezone

from audit import checkpoint as notes
from audit import merkle
from audit.canonical import canonical_event_bytes
from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode
from config.keys import load_ed25519_key

SEAL_BATCH = 5000
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


@transaction.atomic
def seal(*, batch: int = SEAL_BATCH) -> SealResult:
    """Give committed, unsealed events the next leaf indexes and extend the tree."""
    _take_sealer_lock()
    size = tree_size()
    events = list(AuditEvent.objects.filter(leaf__isnull=True).order_by("id")[:batch])
    if not events:
        return SealResult(0, size)
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
def checkpoint_create() -> AuditCheckpoint | None:
    """Sign the current (size, root) unless the last checkpoint already covers it."""
    _take_sealer_lock()
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


def unsealed_overdue(*, now: datetime | None = None) -> int:
    """How many events wait longer than the maximum merge delay (an alarm when > 0)."""
    limit = (now or timezone.now()) - timedelta(seconds=settings.AUDIT_MAX_MERGE_DELAY_SECONDS)
    return AuditEvent.objects.filter(leaf__isnull=True, occurred_at__lt=limit).count()


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


def verify_live(*, progress: Any = None) -> LiveVerification:
    """
    Check the live database: every event's canonical bytes still hash to its stored leaf
    hash, leaf indexes are gapless, and the tree rebuilt from the events' bytes reproduces
    every signed checkpoint (signature, root) and their consistency — the same checks as
    the offline verifier, which it runs on a fresh export.
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
            )
        if merkle.leaf_hash(event_bytes(leaf.event)) != bytes(leaf.leaf_hash):
            return LiveVerification(
                False,
                f"event at leaf {expected} (id {leaf.event_id}) was changed",
                size,
                first_bad_index=expected,
            )
        if progress and expected % 1000 == 999:
            progress(min(90, 90 * (expected + 1) // max(size, 1)))
    with tempfile.TemporaryDirectory() as tmp:
        export(Path(tmp))
        report = verify_directory(Path(tmp))
    if progress:
        progress(100)
    if not report.ok:
        return LiveVerification(
            False,
            "; ".join(report.errors),
            size,
            first_bad_index=report.first_bad_index,
            bad_checkpoint=report.bad_checkpoint,
        )
    return LiveVerification(
        True, f"intact: {size} events, {len(report.checkpoints)} checkpoints", size
    )
