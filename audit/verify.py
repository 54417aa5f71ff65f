"""
Standalone verifier of an exported audit log. Needs only the standard library and
`cryptography` (no Django, no database)::

    python -m audit.verify DIR        # exit 0 when intact, 1 otherwise (2: usage)

Export directory format (written by ``python manage.py audit_export DIR``)
--------------------------------------------------------------------------
``DIR/events.jsonl``
    UTF-8, one JSON object per line, one line per leaf of the log in leaf index order,
    each line ending in a newline::

        {"leaf_index": 0, "canonical": "<canonical JSON text of the event>"}

    * ``leaf_index`` (integer): the leaf's index, 0, 1, 2, ... with no gap.
    * ``canonical`` (string): the event's canonical encoding (see `audit.canonical`) as
      text; its UTF-8 bytes are the leaf input, so leaf hash = SHA-256(0x00 || bytes).
    * ``leaf_hash`` (string, OPTIONAL): base64 of the 32-byte leaf hash the log recorded when
      it sealed the leaf. It is not trusted: the verifier uses it only after the recorded
      hashes themselves reproduce a signed checkpoint root, to name the exact leaf whose
      event changed (without it, a changed but still canonical event is located only to
      the range between two checkpoints).
    * Other members are ignored. How the line object itself is serialised (spacing, member
      order, escapes) does not matter.

``DIR/checkpoints/<tree size, zero-padded to 12 digits>.txt``
    One signed checkpoint note per file (C2SP tlog-checkpoint + signed-note, see
    `audit.checkpoint`), UTF-8, exactly as signed, e.g. ``checkpoints/000000001024.txt``.
    The number in the file name must equal the note's tree size.

``DIR/public_key.txt``
    The log's verifier key string ``<name>+<8 hex key ID>+<base64(0x01 || Ed25519 key)>``
    (one line; surrounding whitespace is ignored). An auditor should compare it with the key
    published out of band (integrity page, docs) rather than trust the copy in the export.

Checks, in order
----------------
1. The public key parses (and its key ID matches its name and key).
2. Every checkpoint's signature verifies with that key, its format is valid, its file name
   matches its size, and all checkpoints have the same origin. At least one is required.
3. Leaf indexes are contiguous from 0.
4. Each ``canonical`` re-encodes to itself: canonical_event_bytes(json.loads(text)) == text,
   and matches its recorded ``leaf_hash`` when one is given.
5. The root recomputed from the leaves at each checkpoint's size equals its signed root.
6. Each pair of successive checkpoints verifies with a consistency proof computed from
   the leaves (RFC 9162 2.1.4).
7. The last checkpoint's size is at most the number of leaves.
Leaves after the last checkpoint are reported as warnings: nothing signed covers them yet.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

from audit.checkpoint import Checkpoint
from audit.export_reader import (
    CHECKPOINT_DIR,
    EVENTS_FILE,
    PUBLIC_KEY_FILE,
    Collector,
    checkpoint_filename,
    read_checkpoints,
    read_events,
    read_public_key,
)
from audit.merkle import MemoryTree, ProofError
from audit.merkle import verify_consistency as _verify_consistency

__all__ = [
    "CHECKPOINT_DIR",
    "EVENTS_FILE",
    "PUBLIC_KEY_FILE",
    "VerificationReport",
    "checkpoint_filename",
    "main",
    "verify_directory",
]


@dataclass
class VerificationReport:
    ok: bool
    errors: list[str]
    #: The smallest leaf index found bad (missing, out of order, not canonical, changed),
    #: or None when the damage could not be pinned to one leaf (see bad_checkpoint).
    first_bad_index: int | None
    #: The first bad checkpoint file, relative to the directory ("checkpoints/....txt").
    bad_checkpoint: str | None
    #: The size of the largest checkpoint that verified (signature and recomputed root).
    tree_size: int
    #: The checkpoints whose signatures verified, in size order.
    checkpoints: list[Checkpoint]
    warnings: list[str] = field(default_factory=list)
    leaf_count: int = 0
    bad_checkpoint_size: int | None = None

    def summary(self) -> str:
        if self.ok:
            text = (
                f"intact: {self.leaf_count} leaves, {len(self.checkpoints)} checkpoints, "
                f"verified tree size {self.tree_size}"
            )
        else:
            parts = ["NOT intact"]
            if self.first_bad_index is not None:
                parts.append(f"first bad leaf index {self.first_bad_index}")
            if self.bad_checkpoint is not None:
                parts.append(f"bad checkpoint {self.bad_checkpoint}")
            text = ", ".join(parts)
        return text


def verify_directory(path: str | Path) -> VerificationReport:
    """Run every check on an export directory; see the module docstring."""
    directory = Path(path)
    out = Collector()
    checkpoints: list[Checkpoint] = []
    leaf_count = 0
    verified_size = 0
    if not directory.is_dir():
        out.errors.append(f"{directory}: not a directory")
        return _report(out, checkpoints, verified_size, leaf_count)

    key = read_public_key(directory, out)
    if key is None:
        return _report(out, checkpoints, verified_size, leaf_count)
    checkpoints = read_checkpoints(directory, key, out)
    tree, recorded, all_recorded = read_events(directory, out)
    leaf_count = tree.size
    names = {cp.size: checkpoint_filename(cp.size) for cp in checkpoints}

    # 5. Roots at each checkpoint.
    root_ok: dict[int, bool] = {}
    recorded_tree: MemoryTree | None = None
    previous_good = 0
    for cp in checkpoints:
        if cp.size > leaf_count:
            continue
        root_ok[cp.size] = tree.root(cp.size) == cp.root
        if root_ok[cp.size]:
            verified_size = max(verified_size, cp.size)
            previous_good = cp.size
            continue
        where = f"a leaf in [{previous_good}, {cp.size}) was changed, removed, added or moved"
        if all_recorded:
            if recorded_tree is None:
                recorded_tree = MemoryTree(h for h in recorded if h is not None)
            if recorded_tree.root(cp.size) == cp.root:
                bad = next(i for i in range(cp.size) if recorded[i] != tree.leaf(i))
                out.bad_index(bad)
                where = f"leaf {bad} no longer matches the hash it was sealed with"
        out.bad_checkpoint(
            cp.size, names[cp.size], f"signed root does not match the leaves: {where}"
        )

    # 6. Consistency between successive checkpoints, with proofs computed from the leaves.
    covered = [cp for cp in checkpoints if cp.size <= leaf_count]
    for old, new in itertools.pairwise(covered):
        if old.size == 0:
            continue  # the empty tree is a prefix of every tree (its root is checked above)
        try:
            proof = tree.consistency_proof(old.size, new.size)
            _verify_consistency(old.size, new.size, old.root, new.root, proof)
        except ProofError as exc:
            out.bad_checkpoint(
                new.size,
                names[new.size],
                f"not consistent with {names[old.size]} given the exported leaves: {exc}",
            )

    # 7. The last checkpoint must not be beyond the leaves.
    for cp in checkpoints:
        if cp.size > leaf_count:
            out.bad_index(leaf_count)
            out.bad_checkpoint(
                cp.size,
                names[cp.size],
                f"signs a tree of {cp.size} leaves but the export has only {leaf_count}: "
                f"leaves from index {leaf_count} are missing (tail truncated?)",
            )
            break  # later checkpoints say the same

    if checkpoints and leaf_count > checkpoints[-1].size:
        out.warnings.append(
            f"leaves {checkpoints[-1].size}..{leaf_count - 1} are not covered by a signed "
            "checkpoint yet; they are not verified"
        )
    return _report(out, checkpoints, verified_size, leaf_count)


def _report(
    out: Collector, checkpoints: list[Checkpoint], tree_size: int, leaf_count: int
) -> VerificationReport:
    bad = min(out.bad_checkpoints) if out.bad_checkpoints else None
    return VerificationReport(
        ok=not out.errors,
        errors=out.errors,
        first_bad_index=out.first_bad_index,
        bad_checkpoint=bad[1] if bad else None,
        tree_size=tree_size,
        checkpoints=checkpoints,
        warnings=out.warnings,
        leaf_count=leaf_count,
        bad_checkpoint_size=bad[0] if bad and bad[0] < 1 << 62 else None,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.verify",
        description="Verify an exported audit log (events, signed checkpoints, public key).",
    )
    parser.add_argument("directory", type=Path, help="the export directory")
    args = parser.parse_args(argv)
    report = verify_directory(args.directory)
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.ok:
        print(f"OK: audit log {report.summary()}")
        return 0
    print(f"FAILED: audit log {report.summary()}", file=sys.stderr)
    for error in report.errors:
        print(f"  - {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
