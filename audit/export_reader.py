"""
Reading what the audit log hands to outsiders, for the verifier (standard library +
cryptography): an export directory, and inclusion and consistency proofs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.canonical import canonical_event_bytes
from audit.checkpoint import Checkpoint, CheckpointError, VerifierKey, open_checkpoint
from audit.checkpoint import parse_verifier_key as _parse_vkey
from audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MemoryTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

EVENTS_FILE = "events.jsonl"
CHECKPOINT_DIR = "checkpoints"
PUBLIC_KEY_FILE = "public_key.txt"
_CHECKPOINT_NAME = re.compile(r"(\d{12})\.txt")
_MAX_LINE_MESSAGES = 20
# docs/audit-format.md section 1: the same pattern audit.actions enforces when recording.
_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_OCCURRED_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def checkpoint_filename(tree_size: int) -> str:
    """`checkpoints/<size zero-padded to 12 digits>.txt`, relative to the export directory."""
    return f"{CHECKPOINT_DIR}/{tree_size:012d}.txt"


class Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.first_bad_index: int | None = None
        # (size or a large number for unreadable ones, file name)
        self.bad_checkpoints: list[tuple[int, str]] = []
        self.suppressed = 0
        self.line_messages = 0
        # The key the checkpoints are checked with; pinned: given by the caller, not the export.
        self.key: VerifierKey | None = None
        self.key_pinned = False

    def bad_index(self, index: int, message: str | None = None, *, limit: bool = False) -> None:
        if self.first_bad_index is None or index < self.first_bad_index:
            self.first_bad_index = index
        if message is None:
            return
        if limit and self.line_messages >= _MAX_LINE_MESSAGES:
            self.suppressed += 1
            return
        self.line_messages += 1
        self.errors.append(message)

    def bad_checkpoint(self, size: int | None, name: str, message: str) -> None:
        self.bad_checkpoints.append((size if size is not None else 1 << 62, name))
        self.errors.append(f"{name}: {message}")


UNAUTHENTICATED_KEY = (
    "the verifier key was taken from the {where} itself and is NOT authenticated: whoever "
    "could change the {where} could have re-signed it with a key of their own. Pass "
    "--public-key with the key obtained out of band (the platform's public key page /keys/, "
    "or `python manage.py audit_public_key` run by someone you trust)."
)


def key_notice(key: VerifierKey | None, *, pinned: bool, where: str) -> str:
    """One line on the key used; a warning when the caller did not pin it."""
    if key is None:
        return "no verifier key could be used"
    if pinned:
        return f"checked with the expected key {key} (SHA-256 fingerprint {key.fingerprint})"
    return (
        UNAUTHENTICATED_KEY.format(where=where)
        + f" Key used: {key} (SHA-256 fingerprint {key.fingerprint})."
    )


def parse_expected_key(text: str) -> VerifierKey:
    """The verifier key an auditor obtained out of band (CheckpointError if malformed)."""
    return _parse_vkey(text.strip())


def read_public_key(
    directory: Path, out: Collector, *, expected: VerifierKey | None = None
) -> VerifierKey | None:
    """
    The key the checkpoints must be signed with: `expected` when the auditor pinned one (the
    export's copy is then only compared with it), else the export's own public_key.txt.
    """
    path = directory / PUBLIC_KEY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if expected is None:
            out.errors.append(f"{PUBLIC_KEY_FILE}: missing; pass the expected key instead")
            return None
        out.warnings.append(f"{PUBLIC_KEY_FILE}: missing; the expected key is used")
        return expected
    except (OSError, UnicodeDecodeError) as exc:
        out.errors.append(f"{PUBLIC_KEY_FILE}: cannot read the public key ({exc})")
        return expected
    try:
        found = _parse_vkey(text.strip())
    except CheckpointError as exc:
        out.errors.append(f"{PUBLIC_KEY_FILE}: not a valid verifier key: {exc}")
        return expected
    if expected is not None and str(found) != str(expected):
        out.errors.append(
            f"{PUBLIC_KEY_FILE}: names the key {found} (fingerprint {found.fingerprint}), "
            f"not the expected {expected} (fingerprint {expected.fingerprint}): this export "
            "was not signed by the log you expect, or its key file was replaced"
        )
        return expected
    return found


def read_checkpoints(
    directory: Path, key: VerifierKey, out: Collector, *, origin: str | None = None
) -> list[Checkpoint]:
    """The checkpoints signed by `key`, all with one origin (`origin` when it is given)."""
    folder = directory / CHECKPOINT_DIR
    if not folder.is_dir():
        out.errors.append(f"{CHECKPOINT_DIR}/: missing; there is no signed checkpoint")
        return []
    valid: list[Checkpoint] = []
    for path in sorted(folder.iterdir()):
        name = f"{CHECKPOINT_DIR}/{path.name}"
        match = _CHECKPOINT_NAME.fullmatch(path.name)
        named_size = int(match.group(1)) if match else None
        if not match or not path.is_file():
            out.bad_checkpoint(None, name, "not a checkpoint file name (want 12 digits + .txt)")
            continue
        try:
            cp = open_checkpoint(path.read_bytes(), key)
        except OSError as exc:
            out.bad_checkpoint(named_size, name, f"cannot read: {exc}")
            continue
        except CheckpointError as exc:
            out.bad_checkpoint(named_size, name, f"invalid signed checkpoint: {exc}")
            continue
        if cp.size != named_size:
            out.bad_checkpoint(
                named_size, name, f"file name says size {named_size}, note {cp.size}"
            )
            continue
        origin = keep_checkpoint(out, valid, cp, name, origin)
    return checkpoints_found(out, valid)


def keep_checkpoint(
    out: Collector, valid: list[Checkpoint], cp: Checkpoint, name: str, origin: str | None
) -> str | None:
    """Keep `cp` if it has the log's one origin (`origin`, else the first seen); the origin."""
    if origin is None:
        origin = cp.origin
    if cp.origin != origin:
        out.bad_checkpoint(cp.size, name, f"origin {cp.origin!r} differs from {origin!r}")
    else:
        valid.append(cp)
    return origin


def checkpoints_found(out: Collector, valid: list[Checkpoint]) -> list[Checkpoint]:
    """The kept checkpoints by size; an error when there is none and none was refused."""
    if not valid and not out.bad_checkpoints:
        out.errors.append(f"{CHECKPOINT_DIR}/: no signed checkpoint; nothing can be verified")
    return sorted(valid, key=lambda c: c.size)


def read_events(directory: Path, out: Collector) -> tuple[MemoryTree, list[bytes | None], bool]:
    """Leaf hashes recomputed from the events; the recorded leaf hashes; whether all exist."""
    tree = MemoryTree()
    recorded: list[bytes | None] = []
    path = directory / EVENTS_FILE
    if not path.is_file():
        out.errors.append(f"{EVENTS_FILE}: missing")
        return tree, recorded, False
    contiguous = True
    seen_ids: dict[int, int] = {}
    with path.open("rb") as lines:
        for position, raw in enumerate(lines):
            computed, stored, index = _check_event_line(position, raw, out, seen_ids)
            wrong = isinstance(index, bool) or not isinstance(index, int) or index != position
            if wrong and index is not _UNREADABLE:
                if contiguous:
                    out.bad_index(
                        position,
                        f"leaf {position}: leaf indexes are not contiguous from 0: line "
                        f"{position + 1} has leaf_index {index!r}, expected {position}",
                    )
                    contiguous = False
                else:
                    out.bad_index(position)
            tree.append(computed)
            recorded.append(stored)
    if out.suppressed:
        out.errors.append(f"... and {out.suppressed} more bad event lines")
    return tree, recorded, all(h is not None for h in recorded)


_UNREADABLE = object()


def event_rule_violation(event: dict[str, Any]) -> str | None:
    """
    What a canonical event breaks of the rules docs/audit-format.md adds to the encoding
    (`audit.canonical` checks the members and their types), or None.
    """
    roles = event["actor_roles"]
    if list(roles) != sorted(roles):
        return f"actor_roles {roles!r} are not sorted"
    try:
        datetime.strptime(event["occurred_at"], _OCCURRED_AT_FORMAT)
    except ValueError:
        return f"occurred_at {event['occurred_at']!r} is not a real date and time"
    if not _ACTION.fullmatch(event["action"]):
        return f"action {event['action']!r} is not a dotted lower-case name"
    return None


def _check_event_line(
    position: int, raw: bytes, out: Collector, seen_ids: dict[int, int]
) -> tuple[bytes, bytes | None, object]:
    """(recomputed leaf hash, recorded leaf hash or None, the line's leaf_index)."""
    fallback = leaf_hash(raw)  # stands in for a line that has no readable event
    try:
        line = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        out.bad_index(position, f"leaf {position}: line {position + 1} is not JSON ({exc})")
        return fallback, None, _UNREADABLE
    if not isinstance(line, dict) or not isinstance(line.get("canonical"), str):
        out.bad_index(position, f"leaf {position}: line {position + 1} has no 'canonical' text")
        return fallback, None, _UNREADABLE
    index = line.get("leaf_index")
    canonical: str = line["canonical"]
    try:
        data = canonical.encode("utf-8")
    except UnicodeEncodeError:
        out.bad_index(position, f"leaf {position}: canonical text is not valid UTF-8", limit=True)
        return fallback, None, index
    try:
        event = json.loads(canonical)
        again = canonical_event_bytes(event)
    except ValueError as exc:
        out.bad_index(position, f"leaf {position}: not a valid canonical event: {exc}", limit=True)
    else:
        if again != data:
            out.bad_index(
                position,
                f"leaf {position}: event text is not in canonical form (edited by hand?)",
                limit=True,
            )
        else:
            problem = event_rule_violation(event)
            earlier = seen_ids.setdefault(event["id"], position)
            if problem is None and earlier != position:
                problem = f"event id {event['id']} is already at leaf {earlier} (sealed twice)"
            if problem is not None:
                out.bad_index(position, f"leaf {position}: {problem}", limit=True)
    computed = leaf_hash(data)
    stored: bytes | None = None
    if isinstance(line.get("leaf_hash"), str):
        try:
            stored = base64.b64decode(line["leaf_hash"], validate=True)
        except (binascii.Error, ValueError):
            stored = None
        if stored is None or len(stored) != HASH_SIZE:
            out.bad_index(position, f"leaf {position}: leaf_hash is not base64 of 32 bytes")
            stored = None
        elif stored != computed:
            out.bad_index(
                position,
                f"leaf {position}: event does not hash to the leaf hash recorded when it "
                "was sealed (the event was changed)",
                limit=True,
            )
    return computed, stored, index


# --- proofs (docs/audit-format.md section 4) ---------------------------------------------------
def proof_key(doc: dict[str, Any], expected: VerifierKey | None) -> VerifierKey:
    """The expected key (the proof's own copy must then agree), else the proof's own copy."""
    inside = doc.get("verifier_key")
    found = parse_expected_key(inside) if isinstance(inside, str) else None
    if expected is None:
        if found is None:
            raise ValueError("no verifier_key in the proof; pass --public-key")
        return found
    if found is not None and str(found) != str(expected):
        raise ValueError(f"the proof names the key {found}, not the expected {expected}")
    return expected


def _open(note: Any, key: VerifierKey, origin: str | None, what: str) -> Checkpoint:
    if not isinstance(note, str):
        raise ValueError(f"{what} is missing")
    cp = open_checkpoint(note, key)
    if origin is not None and cp.origin != origin:
        raise ValueError(f"{what} has origin {cp.origin!r}, not {origin!r}")
    return cp


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("proof must be a list of base64 hashes")
    try:
        return [base64.b64decode(v, validate=True) for v in values]
    except binascii.Error as exc:
        raise ValueError(f"proof hash is not base64: {exc}") from exc


def _integer(doc: dict[str, Any], name: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value


def check_inclusion_proof(doc: dict[str, Any], key: VerifierKey, origin: str | None) -> str:
    """What a `tsdash-inclusion-proof/1` proves; ValueError naming the first thing wrong."""
    cp = _open(doc.get("checkpoint"), key, origin, "checkpoint")
    index, size = _integer(doc, "leaf_index"), _integer(doc, "tree_size")
    if size != cp.size:
        raise ValueError(f"tree_size {size} is not the checkpoint's size {cp.size}")
    text = doc.get("canonical")
    if not isinstance(text, str):
        raise ValueError("canonical is missing")
    event = json.loads(text)
    data = text.encode("utf-8")
    if canonical_event_bytes(event) != data:
        raise ValueError("the event text is not in canonical form")
    if problem := event_rule_violation(event):
        raise ValueError(problem)
    leaf = leaf_hash(data)
    if "leaf_hash" in doc and _hashes([doc["leaf_hash"]]) != [leaf]:
        raise ValueError("leaf_hash is not SHA-256(0x00 || canonical)")
    verify_inclusion(index, size, leaf, _hashes(doc.get("proof")), cp.root)
    return (
        f"event {event['id']} ({event['action']}) is leaf {index} of the log {cp.origin!r} "
        f"under its signed checkpoint of size {size}"
    )


def check_consistency_proof(doc: dict[str, Any], key: VerifierKey, origin: str | None) -> str:
    """What a `tsdash-consistency-proof/1` proves; ValueError naming the first thing wrong."""
    old = _open(doc.get("old_checkpoint"), key, origin, "old_checkpoint")
    new = _open(doc.get("new_checkpoint"), key, origin, "new_checkpoint")
    if (_integer(doc, "old_size"), _integer(doc, "new_size")) != (old.size, new.size):
        raise ValueError("old_size and new_size are not the checkpoints' sizes")
    if old.origin != new.origin:
        raise ValueError(f"the checkpoints' origins differ ({old.origin!r}, {new.origin!r})")
    if old.size == 0:  # the empty tree is a prefix of every tree: only its root to check
        if old.root != EMPTY_ROOT:
            raise ValueError("the old checkpoint's root is not the empty tree's")
    else:
        verify_consistency(old.size, new.size, old.root, new.root, _hashes(doc.get("proof")))
    return f"the log {new.origin!r} of size {new.size} extends its signed tree of size {old.size}"


def expected_key(public_key: str | VerifierKey | None, out: Collector) -> VerifierKey | None:
    """The verifier key a caller expects, parsed; None (and an error) when it is not one."""
    if public_key is None or isinstance(public_key, VerifierKey):
        return public_key
    try:
        return parse_expected_key(public_key)
    except CheckpointError as exc:
        out.errors.append(f"the expected verifier key is not valid: {exc}")
        return None
