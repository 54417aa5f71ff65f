"""
Exports and proofs an outsider can trust: the verifier key is pinned, not read from what is
being verified, and every rule docs/audit-format.md states is enforced.

The attacker here rewrote an export (or the live tables and the settings) and re-signed it
all with a key of their own, key file included. Only a key obtained out of band tells.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

import audit
from audit import log, merkle
from audit.canonical import canonical_event_bytes
from audit.checkpoint import checkpoint_body, sign_checkpoint, verifier_key
from audit.db import guards_suspended
from audit.models import AuditCheckpoint, AuditEvent
from audit.verify import checkpoint_filename, verify_directory, verify_proof
from tests.audit.helpers import ORIGIN, make_event

PROJECT = Path(__file__).resolve().parents[2]
DOC = PROJECT / "docs" / "audit-format.md"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"the log's real key").digest())
ROGUE = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"an attacker's key").digest())
EXPECTED = verifier_key(ORIGIN, LOG_KEY.public_key())
SIZES = (4, 9, 12)


def write_signed_export(
    directory: Path, events: list[dict[str, Any]], *, key: Ed25519PrivateKey
) -> Path:
    """A complete, self-consistent export of `events`, every part signed by `key`."""
    (directory / "checkpoints").mkdir(parents=True)
    tree = merkle.MemoryTree()
    with (directory / "events.jsonl").open("w", encoding="utf-8") as out:
        for event in events:
            data = json.dumps(
                event, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
            index = tree.append_data(data)
            line = {
                "leaf_index": index,
                "canonical": data.decode(),
                "leaf_hash": base64.b64encode(tree.leaf(index)).decode(),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    for size in SIZES:
        note = sign_checkpoint(checkpoint_body(ORIGIN, size, tree.root(size)), ORIGIN, key)
        (directory / checkpoint_filename(size)).write_text(note, encoding="utf-8")
    (directory / "public_key.txt").write_text(verifier_key(ORIGIN, key.public_key()) + "\n")
    return directory


def events(n: int = 12) -> list[dict[str, Any]]:
    return [make_event(i) for i in range(n)]


def forged_export(tmp_path: Path) -> Path:
    """Event 6 rewritten, then the whole export re-signed with the attacker's key."""
    rewritten = events()
    rewritten[6]["data"] = {"note": "nothing happened"}
    return write_signed_export(tmp_path / "forged", rewritten, key=ROGUE)


def run_verifier(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "audit.verify", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


# --- 1. the verifier key is pinned -------------------------------------------------------------
def test_export_re_signed_with_another_key_passes_only_when_the_key_is_not_pinned(tmp_path):
    forged = forged_export(tmp_path)

    unpinned = verify_directory(forged)
    pinned = verify_directory(forged, public_key=EXPECTED)

    assert unpinned.ok, unpinned.errors  # what the export alone can prove: nothing
    assert unpinned.key_pinned is False
    assert "NOT authenticated" in unpinned.key_notice()
    assert not pinned.ok
    assert pinned.key_pinned is True
    assert any(e.startswith("public_key.txt: names the key") for e in pinned.errors)
    assert pinned.bad_checkpoint == checkpoint_filename(SIZES[0])
    assert pinned.checkpoints == []  # none opens with the expected key


def test_genuine_export_verifies_with_the_pinned_key(tmp_path):
    genuine = write_signed_export(tmp_path / "genuine", events(), key=LOG_KEY)

    report = verify_directory(genuine, public_key=EXPECTED, origin=ORIGIN)

    assert report.ok, report.errors
    assert report.key_pinned
    assert report.tree_size == SIZES[-1]


def test_pinned_key_needs_no_key_file_but_a_wrong_origin_is_refused(tmp_path):
    genuine = write_signed_export(tmp_path / "genuine", events(), key=LOG_KEY)
    (genuine / "public_key.txt").unlink()

    assert verify_directory(genuine, public_key=EXPECTED).ok
    assert not verify_directory(genuine).ok  # nothing to check with at all
    wrong_origin = verify_directory(genuine, public_key=EXPECTED, origin="other.example/log")
    assert not wrong_origin.ok
    assert any("origin" in e for e in wrong_origin.errors)


def test_command_line_pins_the_key_and_warns_when_it_is_not_pinned(tmp_path):
    forged = forged_export(tmp_path)

    unpinned = run_verifier(str(forged))
    pinned = run_verifier(str(forged), "--public-key", EXPECTED)
    malformed = run_verifier(str(forged), "--public-key", "not-a-key")

    assert unpinned.returncode == 0, unpinned.stderr
    assert "NOT authenticated" in unpinned.stdout
    assert "--public-key" in unpinned.stdout
    assert pinned.returncode == 1
    assert "public_key.txt: names the key" in pinned.stderr
    assert malformed.returncode == 2


@pytest.mark.django_db
def test_verify_audit_command_pins_the_key_against_re_signed_tables(settings, capsys):
    audit.record(action="system.tick", data={"n": 1})
    audit.record(action="system.tick", data={"n": 2})
    log.seal_and_checkpoint()
    expected = log.verifier_key()
    # The attacker holds the database and the settings: a new signing key, every
    # checkpoint re-signed with it.
    settings.AUDIT_SIGNING_KEY = base64.b64encode(ROGUE.private_bytes_raw()).decode()
    for cp in AuditCheckpoint.objects.all():
        body = cp.note[: cp.note.index("\n\n") + 1]
        note = sign_checkpoint(body, settings.AUDIT_KEY_NAME, log.signing_key())
        with guards_suspended(connection), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditcheckpoint SET note = %s WHERE id = %s", [note, cp.pk]
            )

    call_command("verify_audit")
    unpinned = capsys.readouterr().out
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_audit", public_key=expected)

    assert "NOT authenticated" in unpinned
    assert "intact" in unpinned


@pytest.mark.django_db
def test_verify_audit_command_with_the_right_key_says_so(capsys):
    audit.record(action="system.tick", data={"n": 1})
    log.seal_and_checkpoint()

    call_command("verify_audit", public_key=log.verifier_key())

    out = capsys.readouterr().out
    assert "with the expected key" in out
    assert "NOT authenticated" not in out
    with pytest.raises(CommandError, match="not a verifier key"):
        call_command("verify_audit", public_key="garbage")


@pytest.mark.django_db
def test_release_proof_re_signed_with_another_key_is_refused_when_pinned(tmp_path, settings):
    event = audit.record(action="system.tick", data={"n": 1})
    log.seal_and_checkpoint()
    expected = log.verifier_key()
    proof = log.inclusion_proof_for(event=AuditEvent.objects.get(pk=event.pk))
    genuine = tmp_path / "release-proof.json"
    genuine.write_text(json.dumps(proof))
    settings.AUDIT_SIGNING_KEY = base64.b64encode(ROGUE.private_bytes_raw()).decode()
    body = proof["checkpoint"][: proof["checkpoint"].index("\n\n") + 1]
    forged_proof = {
        **proof,
        "checkpoint": sign_checkpoint(body, settings.AUDIT_KEY_NAME, log.signing_key()),
        "verifier_key": log.verifier_key(),
    }
    forged = tmp_path / "forged-proof.json"
    forged.write_text(json.dumps(forged_proof))

    assert verify_proof(genuine, public_key=expected).ok
    assert verify_proof(forged).ok  # the proof's own key vouches for itself
    refused = verify_proof(forged, public_key=expected)
    assert not refused.ok
    assert "not the expected" in refused.errors[0]
    cli = run_verifier("--proof", str(forged), "--public-key", expected)
    assert cli.returncode == 1


@pytest.mark.django_db
def test_consistency_proof_is_checked_with_the_pinned_key(tmp_path):
    audit.record(action="system.tick", data={"n": 1})
    old = log.seal_and_checkpoint()
    audit.record(action="system.tick", data={"n": 2})
    audit.record(action="system.tick", data={"n": 3})
    new = log.seal_and_checkpoint()
    path = tmp_path / "consistency.json"
    path.write_text(json.dumps(log.consistency_proof_between(old=old, new=new)))

    report = verify_proof(path, public_key=log.verifier_key())

    assert report.ok, report.errors
    assert f"size {new.tree_size}" in report.summary
    other = verifier_key(settings.AUDIT_KEY_NAME, ROGUE.public_key())
    assert not verify_proof(path, public_key=other).ok


# --- 2. every rule of docs/audit-format.md is enforced -------------------------------------------
def consistently_signed(tmp_path: Path, change: dict[str, Any], at: int = 5) -> Path:
    """An export whose event `at` breaks one rule, re-signed with the log's real key."""
    changed = events()
    changed[at] = {**changed[at], **change}
    return write_signed_export(tmp_path / "export", changed, key=LOG_KEY)


def test_unsorted_actor_roles_are_rejected_even_when_everything_else_is_signed(tmp_path):
    export = consistently_signed(tmp_path, {"actor_roles": ["moderator", "auditor"]})
    event = json.loads(
        json.loads((export / "events.jsonl").read_text().splitlines()[5])["canonical"]
    )
    assert canonical_event_bytes(event)  # still a canonical event: only the sorting rule breaks

    report = verify_directory(export, public_key=EXPECTED)

    assert not report.ok
    assert report.first_bad_index == 5
    assert report.errors == ["leaf 5: actor_roles ['moderator', 'auditor'] are not sorted"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"occurred_at": "2026-13-45T25:61:14.000000Z"}, "not a real date and time"),
        ({"action": "Released"}, "not a dotted lower-case name"),
        ({"action": "request"}, "not a dotted lower-case name"),
        ({"id": make_event(2)["id"]}, "already at leaf 2"),
    ],
)
def test_each_documented_event_rule_is_enforced(tmp_path, change, message):
    export = consistently_signed(tmp_path, change)

    report = verify_directory(export, public_key=EXPECTED)

    assert not report.ok
    assert report.first_bad_index == 5
    assert any(message in e for e in report.errors), report.errors


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _documented(name: str, section: str) -> bool:
    return f"`{name}`" in section or f'"{name}"' in section


@pytest.mark.django_db
def test_everything_an_export_contains_is_documented(tmp_path):
    for i in range(3):
        audit.record(action="system.tick", target_type="audit.test", target_id=i, data={"i": i})
    log.seal_and_checkpoint()
    log.export(tmp_path / "export")
    export = tmp_path / "export"
    events_doc = _section("1. Events and their canonical bytes")
    checkpoint_doc = _section("3. Checkpoints")
    export_doc = _section("5. Export and offline verification")

    files = {
        re.sub(r"\d{12}\.txt$", "<tree size, 12 digits>.txt", str(p.relative_to(export)))
        for p in export.rglob("*")
        if p.is_file()
    }
    line_keys: set[str] = set()
    event_keys: set[str] = set()
    for raw in (export / "events.jsonl").read_text(encoding="utf-8").splitlines():
        line = json.loads(raw)
        line_keys |= set(line)
        event_keys |= set(json.loads(line["canonical"]))
    checkpoint_parts: set[str] = set()
    for path in (export / "checkpoints").iterdir():
        text, _, signatures = path.read_text(encoding="utf-8").partition("\n\n")
        origin, size, root, *extensions = text.split("\n")
        assert (origin, size) == (settings.AUDIT_LOG_ORIGIN, path.stem.lstrip("0") or "0")
        assert base64.b64decode(root, validate=True)
        checkpoint_parts |= {"origin", "tree size", "root hash"}
        checkpoint_parts |= {f"extension line {line!r}" for line in extensions}
        for signature in signatures.splitlines():
            assert signature.startswith(f"— {settings.AUDIT_KEY_NAME} ")
            checkpoint_parts.add("signature line")

    assert files == {"events.jsonl", "checkpoints/<tree size, 12 digits>.txt", "public_key.txt"}
    assert {f for f in files if not _documented(f, export_doc)} == set()
    assert line_keys == {"leaf_index", "canonical", "leaf_hash"}
    assert {k for k in line_keys if not _documented(k, export_doc)} == set()
    assert {k for k in event_keys if not _documented(k, events_doc)} == set()
    assert {p for p in checkpoint_parts if p not in checkpoint_doc} == set()
