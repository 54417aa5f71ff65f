"""
The tamper-evident log over the audit trail (RFC 6962 Merkle tree, C2SP checkpoints).

Writers never wait: `audit.record()` stays a plain insert. The sealer gives committed,
unsealed events gapless leaf indexes in the order it seals them, stores their leaf hashes
and the perfect subtree hashes they complete, and checkpoints sign (size, root) with a key
that never lives in the database. See docs/audit-format.md for the exact formats.

By concern:

- `encoding`: an event's canonical bytes from its columns, or from the body `record` wrote;
- `tree`: the stored tree (size, perfect subtree hashes, root);
- `sealing`: sealing, checkpoints and the sealer's backlog;
- `proofs`: inclusion and consistency proofs, and the export for the standalone verifier;
- `live`: `verify_live`, what `manage.py verify_audit` runs;
- `keys`: the signing key and the verifier key given to auditors.

Every name is importable from `audit.log` as before the split.
"""

from __future__ import annotations

from audit.log.encoding import (
    EVENT_COLUMNS,
    EventRow,
    event_bytes,
    event_dict,
    event_row_bytes,
    event_row_dict,
)
from audit.log.keys import signing_key, verifier_key
from audit.log.live import VERIFY_CHUNK, LiveVerification, verify_live
from audit.log.proofs import consistency_proof_between, export, inclusion_proof_for
from audit.log.sealing import (
    SEAL_BATCH,
    SEAL_LOOKBACK,
    Backlog,
    SealResult,
    backlog,
    checkpoint_create,
    seal,
    seal_and_checkpoint,
    unsealed_overdue,
)
from audit.log.tree import StoredNodes, last_sealed_event_id, root_at, tree_size
from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditNode

__all__ = [
    "EVENT_COLUMNS",
    "SEAL_BATCH",
    "SEAL_LOOKBACK",
    "VERIFY_CHUNK",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditLeaf",
    "AuditNode",
    "Backlog",
    "EventRow",
    "LiveVerification",
    "SealResult",
    "StoredNodes",
    "backlog",
    "checkpoint_create",
    "consistency_proof_between",
    "event_bytes",
    "event_dict",
    "event_row_bytes",
    "event_row_dict",
    "export",
    "inclusion_proof_for",
    "last_sealed_event_id",
    "root_at",
    "seal",
    "seal_and_checkpoint",
    "signing_key",
    "tree_size",
    "unsealed_overdue",
    "verifier_key",
    "verify_live",
]
