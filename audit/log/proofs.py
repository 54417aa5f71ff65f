"""
What the log hands to auditors: inclusion and consistency proofs, and the export the
standalone verifier (audit/verify.py) reads. Every event's canonical bytes are encoded from
its columns here, never taken from the body the sealer used.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from audit import merkle
from audit.log.encoding import event_bytes
from audit.log.keys import verifier_key
from audit.log.tree import StoredNodes
from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf


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


def export(directory: Path) -> int:
    """Write events (canonical text), checkpoints and the public key in the verifier's format."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoints").mkdir(exist_ok=True)
    count = 0
    with (directory / "events.jsonl").open("w", encoding="utf-8") as out:
        leaves = (
            AuditLeaf.objects.select_related("event")
            .defer("event__canonical_body")
            .order_by("leaf_index")
            .iterator(2000)
        )
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
