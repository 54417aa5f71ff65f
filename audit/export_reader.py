"""Reading an audit-log export directory for the verifier (standard library + cryptography)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path

from audit.canonical import canonical_event_bytes
from audit.checkpoint import Checkpoint, CheckpointError, VerifierKey, open_checkpoint
from audit.checkpoint import parse_verifier_key as _parse_vkey
from audit.merkle import HASH_SIZE, MemoryTree, leaf_hash

EVENTS_FILE = "events.jsonl"
CHECKPOINT_DIR = "checkpoints"
PUBLIC_KEY_FILE = "public_key.txt"
_CHECKPOINT_NAME = re.compile(r"(\d{12})\.txt")
_MAX_LINE_MESSAGES = 20


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


def read_public_key(directory: Path, out: Collector) -> VerifierKey | None:
    path = directory / PUBLIC_KEY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        out.errors.append(f"{PUBLIC_KEY_FILE}: cannot read the public key ({exc})")
        return None
    try:
        return _parse_vkey(text.strip())
    except CheckpointError as exc:
        out.errors.append(f"{PUBLIC_KEY_FILE}: not a valid verifier key: {exc}")
        return None


def read_checkpoints(directory: Path, key: VerifierKey, out: Collector) -> list[Checkpoint]:
    folder = directory / CHECKPOINT_DIR
    if not folder.is_dir():
        out.errors.append(f"{CHECKPOINT_DIR}/: missing; there is no signed checkpoint")
        return []
    valid: list[Checkpoint] = []
    origin: str | None = None
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
        if origin is None:
            origin = cp.origin
        elif cp.origin != origin:
            out.bad_checkpoint(cp.size, name, f"origin {cp.origin!r} differs from {origin!r}")
            continue
        valid.append(cp)
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
    with path.open("rb") as lines:
        for position, raw in enumerate(lines):
            computed, stored, index = _check_event_line(position, raw, out)
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


def _check_event_line(
    position: int, raw: bytes, out: Collector
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
        again = canonical_event_bytes(json.loads(canonical))
    except ValueError as exc:
        out.bad_index(position, f"leaf {position}: not a valid canonical event: {exc}", limit=True)
    else:
        if again != data:
            out.bad_index(
                position,
                f"leaf {position}: event text is not in canonical form (edited by hand?)",
                limit=True,
            )
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
