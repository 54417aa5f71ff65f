"""
Standalone verifier of an exported audit log and of the log's proofs. Needs only the
standard library and `cryptography` (no Django, no database)::

    python -m audit.verify DIR --public-key VKEY            # an export directory
    python -m audit.verify --proof FILE --public-key VKEY   # an inclusion or consistency proof

Exit status: 0 when intact, 1 otherwise, 2 on a usage error (such as a malformed VKEY).

VKEY is the log's verifier key obtained out of band: from the platform's public key page
(``/keys/``), ``python manage.py audit_public_key`` run by someone you trust, or a letter.
Without ``--public-key`` the key inside the export (or proof) is used, and the output says
that it is not authenticated: whoever could rewrite the export could also have re-signed
it with a key of their own. ``--origin`` pins the checkpoints' origin line as well.

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
    (one line; surrounding whitespace is ignored). Only a convenience: with ``--public-key``
    it must equal the expected key, and without it nothing vouches for it.

Checks, in order
----------------
1. The key parses (and its key ID matches its name and key); a pinned key must equal the
   export's ``public_key.txt``.
2. Every checkpoint's signature verifies with that key, its format is valid, its file name
   matches its size, and all checkpoints have the same origin (the pinned one, if given).
   At least one is required.
3. Leaf indexes are contiguous from 0.
4. Each ``canonical`` re-encodes to itself: canonical_event_bytes(json.loads(text)) == text;
   its ``actor_roles`` are sorted, ``occurred_at`` is a real time, ``action`` is a dotted
   lower-case name, its ``id`` appears at no other leaf; and it matches its recorded
   ``leaf_hash`` when one is given.
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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from audit.checkpoint import Checkpoint, CheckpointError, VerifierKey, open_checkpoint
from audit.export_reader import (
    CHECKPOINT_DIR,
    EVENTS_FILE,
    PUBLIC_KEY_FILE,
    Collector,
    checkpoint_filename,
    checkpoints_found,
    expected_key,
    keep_checkpoint,
    key_notice,
    parse_expected_key,
    read_checkpoints,
    read_events,
    read_public_key,
)
from audit.merkle import MemoryTree, ProofError
from audit.merkle import verify_consistency as _verify_consistency
from audit.verify_proofs import print_proof, verify_proof

__all__ = [
    "CHECKPOINT_DIR",
    "EVENTS_FILE",
    "PUBLIC_KEY_FILE",
    "VerificationReport",
    "checkpoint_filename",
    "main",
    "verify_directory",
    "verify_log",
    "verify_proof",
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
    #: The verifier key the checkpoints were checked with, and whether the caller pinned it
    #: (False: it came from the export itself, so it proves nothing about who signed).
    key: VerifierKey | None = None
    key_pinned: bool = False

    def key_notice(self) -> str:
        return key_notice(self.key, pinned=self.key_pinned, where="export")

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


def verify_directory(
    path: str | Path,
    *,
    public_key: str | VerifierKey | None = None,
    origin: str | None = None,
) -> VerificationReport:
    """
    Run every check on an export directory; see the module docstring. `public_key` is the
    verifier key obtained out of band; without it the export's own copy is used, which an
    attacker who rewrote the export would have replaced too (`report.key_pinned` says which).
    """
    directory = Path(path)
    out = Collector()
    checkpoints: list[Checkpoint] = []
    leaf_count = 0
    verified_size = 0
    expected = expected_key(public_key, out)
    pinned = public_key is not None
    if not directory.is_dir():
        out.errors.append(f"{directory}: not a directory")
        return _report(out, checkpoints, verified_size, leaf_count)
    if pinned and expected is None:
        return _report(out, checkpoints, verified_size, leaf_count)

    key = read_public_key(directory, out, expected=expected)
    if key is None:
        return _report(out, checkpoints, verified_size, leaf_count)
    out.key, out.key_pinned = key, pinned
    checkpoints = read_checkpoints(directory, key, out, origin=origin)
    tree, recorded, all_recorded = read_events(directory, out)
    verified_size = _check_tree(out, checkpoints, tree, recorded, all_recorded)
    return _report(out, checkpoints, verified_size, tree.size)


def verify_log(
    tree: MemoryTree,
    notes: Iterable[tuple[int, str]],
    *,
    own_key: str,
    public_key: str | VerifierKey | None = None,
    origin: str | None = None,
) -> VerificationReport:
    """
    Checks 1, 2 and 5-7 of `verify_directory` on a log read another way: the live database,
    whose events the caller has already re-encoded, hashed into `tree` and checked one by one
    (checks 3 and 4). `notes` are the stored (tree size, signed note) pairs; `own_key` is the
    log's own verifier key, used when the caller pins none. Messages name the checkpoints as
    an export would (`checkpoints/<size>.txt`).
    """
    out = Collector()
    checkpoints: list[Checkpoint] = []
    expected = expected_key(public_key, out)
    pinned = public_key is not None
    if pinned and expected is None:
        return _report(out, checkpoints, 0, tree.size)
    try:
        found = parse_expected_key(own_key)
    except CheckpointError as exc:
        out.errors.append(f"this log's own verifier key is not valid: {exc}")
        found = None
    if expected is not None and found is not None and str(found) != str(expected):
        out.errors.append(
            f"this log's verifier key is {found} (fingerprint {found.fingerprint}), not the "
            f"expected {expected} (fingerprint {expected.fingerprint}): its signing key was "
            "replaced, or this is not the log you expect"
        )
    key = expected or found
    if key is None:
        return _report(out, checkpoints, 0, tree.size)
    out.key, out.key_pinned = key, pinned
    checkpoints = _open_notes(notes, key, out, origin=origin)
    verified_size = _check_tree(out, checkpoints, tree, [], False)
    return _report(out, checkpoints, verified_size, tree.size)


def _open_notes(
    notes: Iterable[tuple[int, str]], key: VerifierKey, out: Collector, *, origin: str | None
) -> list[Checkpoint]:
    """`read_checkpoints` for stored (size, note) pairs: the same checks and messages."""
    valid: list[Checkpoint] = []
    for size, note in notes:
        name = checkpoint_filename(size)
        try:
            cp = open_checkpoint(note, key)
        except CheckpointError as exc:
            out.bad_checkpoint(size, name, f"invalid signed checkpoint: {exc}")
            continue
        if cp.size != size:
            out.bad_checkpoint(size, name, f"stored for size {size}, the note says {cp.size}")
            continue
        origin = keep_checkpoint(out, valid, cp, name, origin)
    return checkpoints_found(out, valid)


def _check_tree(
    out: Collector,
    checkpoints: list[Checkpoint],
    tree: MemoryTree,
    recorded: list[bytes | None],
    all_recorded: bool,
) -> int:
    """Checks 5-7 on the leaves' tree; returns the largest checkpoint size that verified."""
    leaf_count = tree.size
    verified_size = 0
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
    return verified_size


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
        key=out.key,
        key_pinned=out.key_pinned,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.verify",
        description="Verify an exported audit log (events, signed checkpoints), or a proof.",
    )
    parser.add_argument("directory", type=Path, nargs="?", help="the export directory")
    parser.add_argument("--proof", type=Path, help="an inclusion or consistency proof (JSON)")
    parser.add_argument(
        "--public-key",
        metavar="VKEY",
        help="the log's verifier key, obtained out of band (e.g. from the /keys/ page)",
    )
    parser.add_argument("--origin", help="the log's origin line, obtained out of band")
    args = parser.parse_args(argv)
    if (args.directory is None) == (args.proof is None):
        parser.error("give an export directory or --proof FILE")
    if args.public_key is not None:
        try:
            parse_expected_key(args.public_key)
        except CheckpointError as exc:
            parser.error(f"--public-key: {exc}")
    if args.proof is not None:
        return print_proof(verify_proof(args.proof, public_key=args.public_key, origin=args.origin))
    report = verify_directory(args.directory, public_key=args.public_key, origin=args.origin)
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.key is not None and not report.key_pinned:
        print(f"WARNING: {report.key_notice()}")
    if report.ok:
        trust = "expected key" if report.key_pinned else "key NOT authenticated"
        print(f"OK: audit log {report.summary()} ({trust})")
        return 0
    print(f"FAILED: audit log {report.summary()}", file=sys.stderr)
    for error in report.errors:
        print(f"  - {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
