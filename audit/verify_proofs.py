"""
Checking a proof on its own (docs/audit-format.md section 4): an inclusion proof
(`/audit/events/<id>/proof.json`, a package's `release-proof.json`) or a consistency proof
(`/audit/consistency.json`). Part of the standalone verifier: standard library and
`cryptography`, no Django (`python -m audit.verify --proof FILE`).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from audit.checkpoint import VerifierKey
from audit.export_reader import (
    Collector,
    check_consistency_proof,
    check_inclusion_proof,
    expected_key,
    key_notice,
    proof_key,
)


@dataclass
class ProofReport:
    ok: bool
    errors: list[str]
    summary: str
    key: VerifierKey | None = None
    key_pinned: bool = False

    def key_notice(self) -> str:
        return key_notice(self.key, pinned=self.key_pinned, where="proof")


def verify_proof(
    path: str | Path,
    *,
    public_key: str | VerifierKey | None = None,
    origin: str | None = None,
) -> ProofReport:
    """
    Check an inclusion proof (`/audit/events/<id>/proof.json`, a package's
    `release-proof.json`) or a consistency proof (`/audit/consistency.json`): its checkpoints
    open with the key, and the proof leads from the event (or the old tree) to their roots.
    """
    out = Collector()
    expected = expected_key(public_key, out)
    report = ProofReport(ok=False, errors=out.errors, summary="", key_pinned=public_key is not None)
    if out.errors:
        return report
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        report.key = proof_key(doc, expected)
        if doc.get("format") == "tsdash-inclusion-proof/1":
            report.summary = check_inclusion_proof(doc, report.key, origin)
        elif doc.get("format") == "tsdash-consistency-proof/1":
            report.summary = check_consistency_proof(doc, report.key, origin)
        else:
            raise ValueError(f"unknown proof format {doc.get('format')!r}")
    except (OSError, ValueError, KeyError, TypeError) as exc:  # CheckpointError, ProofError too
        out.errors.append(f"{path}: {exc}")
    report.ok = not out.errors
    return report


def print_proof(report: ProofReport) -> int:
    if report.key is not None and not report.key_pinned:
        print(f"WARNING: {report.key_notice()}")
    if report.ok:
        trust = "expected key" if report.key_pinned else "key NOT authenticated"
        print(f"OK: {report.summary} ({trust})")
        return 0
    print("FAILED: the proof does not verify", file=sys.stderr)
    for error in report.errors:
        print(f"  - {error}", file=sys.stderr)
    return 1
