"""Canonical encoding and the standalone verifier (`python -m audit.verify DIR`), tamper drills."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import merkle
from audit.canonical import canonical_event_bytes
from audit.checkpoint import checkpoint_body, sign_checkpoint, verifier_key
from audit.verify import checkpoint_filename, verify_directory
from tests.audit.helpers import ORIGIN, make_event

PROJECT = Path(__file__).resolve().parents[2]
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"verifier test key").digest())
CHECKPOINTS = (3, 5, 8, 13, 20)
N_EVENTS = 20


def write_export(
    directory: Path,
    *,
    n: int = N_EVENTS,
    sizes: tuple[int, ...] = CHECKPOINTS,
    leaf_hashes: bool = True,
    key: Ed25519PrivateKey = KEY,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checkpoints").mkdir()
    tree = merkle.MemoryTree()
    with (directory / "events.jsonl").open("w", encoding="utf-8") as out:
        for i in range(n):
            data = canonical_event_bytes(make_event(i))
            index = tree.append_data(data)
            line = {"leaf_index": index, "canonical": data.decode()}
            if leaf_hashes:
                line["leaf_hash"] = base64.b64encode(tree.leaf(index)).decode()
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    for size in sizes:
        note = sign_checkpoint(checkpoint_body(ORIGIN, size, tree.root(size)), ORIGIN, key)
        (directory / checkpoint_filename(size)).write_text(note, encoding="utf-8")
    (directory / "public_key.txt").write_text(verifier_key(ORIGIN, key.public_key()) + "\n")
    return directory


def read_lines(directory: Path) -> list[bytes]:
    return (directory / "events.jsonl").read_bytes().splitlines(keepends=True)


def write_lines(directory: Path, lines: list[bytes]) -> None:
    (directory / "events.jsonl").write_bytes(b"".join(lines))


def cp_name(size: int) -> str:
    return f"checkpoints/{size:012d}.txt"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "export")


# --- canonical encoding ------------------------------------------------------------------------
def test_canonical_bytes_exact() -> None:
    event = {
        "target_id": "42",
        "id": 7,
        "occurred_at": "2026-11-28T21:03:14.123456Z",
        "actor_id": None,
        "actor_username": "zoë",
        "actor_roles": ["legal_officer"],
        "ip_address": "2001:db8::1",
        "request_id": "r1",
        "action": "disclosure.released",
        "target_type": "request",
        "data": {"b": [1, "x\ty"], "a": {"d": False, "c": '\u2028/"\\\x01'}},
    }
    assert (
        canonical_event_bytes(event)
        == (
            '{"action":"disclosure.released","actor_id":null,"actor_roles":["legal_officer"],'
            '"actor_username":"zoë","data":{"a":{"c":"\u2028/\\"\\\\\\u0001","d":false},'
            '"b":[1,"x\\ty"]},"id":7,"ip_address":"2001:db8::1",'
            '"occurred_at":"2026-11-28T21:03:14.123456Z","request_id":"r1",'
            '"target_id":"42","target_type":"request"}'
        ).encode()
    )
    again = canonical_event_bytes(json.loads(canonical_event_bytes(event)))
    assert again == canonical_event_bytes(event)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data": {"score": 0.5}}, "float"),
        ({"data": {"deep": [{"x": [1.0]}]}}, "float"),
        ({"data": {"nan": float("nan")}}, "float"),
        ({"id": 1.0}, "id"),
        ({"id": True}, "id"),
        ({"actor_id": "3"}, "actor_id"),
        ({"occurred_at": "2026-11-28T21:03:14Z"}, "occurred_at"),
        ({"occurred_at": "2026-11-28T21:03:14.123456+00:00"}, "occurred_at"),
        ({"actor_roles": ["a", 1]}, "actor_roles"),
        ({"ip_address": 1}, "ip_address"),
        ({"data": []}, "data"),
        ({"data": {1: "x"}}, "names must be strings"),
        ({"data": {"s": {1, 2}}}, "not a JSON value"),
        ({"action": None}, "action"),
        ({"extra": 1}, "unexpected"),
        ({"data": {"s": "\ud800"}}, "surrogate|encode"),
    ],
)
def test_canonical_rejects(change: dict, message: str) -> None:
    event = {**make_event(1), **change}
    with pytest.raises(ValueError, match=message):
        canonical_event_bytes(event)


def test_canonical_requires_every_member() -> None:
    event = make_event(1)
    del event["request_id"]
    with pytest.raises(ValueError, match="missing"):
        canonical_event_bytes(event)


# --- the verifier ------------------------------------------------------------------------------
def test_intact_export_verifies(export: Path) -> None:
    report = verify_directory(export)
    assert report.ok, report.errors
    assert report.errors == []
    assert report.warnings == []
    assert report.first_bad_index is None
    assert report.bad_checkpoint is None
    assert report.tree_size == 20
    assert report.leaf_count == 20
    assert [cp.size for cp in report.checkpoints] == list(CHECKPOINTS)
    assert "intact" in report.summary()


def test_intact_without_leaf_hashes_and_with_unsigned_tail(tmp_path: Path) -> None:
    directory = write_export(tmp_path / "e", n=23, sizes=(0, 1, 16, 21), leaf_hashes=False)
    report = verify_directory(directory)
    assert report.ok, report.errors
    assert report.tree_size == 21
    assert len(report.warnings) == 1
    assert "21..22" in report.warnings[0]


def test_one_byte_changed_in_an_event(export: Path) -> None:
    lines = read_lines(export)
    assert b"user006" in lines[6]
    lines[6] = lines[6].replace(b"user006", b"user007")  # still canonical, one byte
    write_lines(export, lines)
    report = verify_directory(export)
    assert not report.ok
    assert report.first_bad_index == 6
    assert report.bad_checkpoint == cp_name(8)
    assert report.bad_checkpoint_size == 8
    assert any("leaf 6" in e for e in report.errors)
    assert report.tree_size == 5  # the last checkpoint that still verifies


def test_one_byte_changed_without_leaf_hashes_names_the_checkpoint(tmp_path: Path) -> None:
    directory = write_export(tmp_path / "e", leaf_hashes=False)
    lines = read_lines(directory)
    lines[6] = lines[6].replace(b"user006", b"user007")
    write_lines(directory, lines)
    report = verify_directory(directory)
    assert not report.ok
    assert report.bad_checkpoint == cp_name(8)
    assert report.first_bad_index is None
    assert any("[5, 8)" in e for e in report.errors)


def test_leaf_hash_edited_too_is_still_caught(export: Path) -> None:
    lines = read_lines(export)
    line = json.loads(lines[6])
    line["canonical"] = line["canonical"].replace("user006", "user007")
    line["leaf_hash"] = base64.b64encode(merkle.leaf_hash(line["canonical"].encode())).decode()
    lines[6] = (json.dumps(line, ensure_ascii=False) + "\n").encode()
    write_lines(export, lines)
    report = verify_directory(export)
    assert not report.ok
    assert report.bad_checkpoint == cp_name(8)
    assert any("[5, 8)" in e for e in report.errors)


def test_event_deleted(export: Path) -> None:
    lines = read_lines(export)
    del lines[6]
    write_lines(export, lines)
    report = verify_directory(export)
    assert not report.ok
    assert report.first_bad_index == 6
    assert report.bad_checkpoint == cp_name(8)
    assert "not contiguous" in report.errors[0]


def test_event_deleted_and_renumbered(export: Path) -> None:
    lines = read_lines(export)
    del lines[6]
    renumbered = []
    for i, raw in enumerate(lines):
        line = json.loads(raw)
        line["leaf_index"] = i
        renumbered.append((json.dumps(line, ensure_ascii=False) + "\n").encode())
    write_lines(export, renumbered)
    report = verify_directory(export)
    assert not report.ok
    assert report.bad_checkpoint == cp_name(8)
    assert any("[5, 8)" in e for e in report.errors)
    # The tail is one short too: the last checkpoint signs 20 leaves, 19 remain.
    assert any("only 19" in e for e in report.errors)


def test_two_events_swapped(export: Path) -> None:
    lines = read_lines(export)
    lines[9], lines[11] = lines[11], lines[9]
    write_lines(export, lines)
    report = verify_directory(export)
    assert not report.ok
    assert report.first_bad_index == 9
    assert report.bad_checkpoint == cp_name(13)


def test_two_events_contents_swapped_keeping_indexes(export: Path) -> None:
    lines = [json.loads(raw) for raw in read_lines(export)]
    lines[9]["canonical"], lines[11]["canonical"] = lines[11]["canonical"], lines[9]["canonical"]
    write_lines(export, [(json.dumps(x, ensure_ascii=False) + "\n").encode() for x in lines])
    report = verify_directory(export)
    assert not report.ok
    assert report.first_bad_index == 9
    assert report.bad_checkpoint == cp_name(13)


def test_tail_truncated_below_a_checkpoint(export: Path) -> None:
    write_lines(export, read_lines(export)[:10])
    report = verify_directory(export)
    assert not report.ok
    assert report.first_bad_index == 10
    assert report.bad_checkpoint == cp_name(13)
    assert any("only 10" in e for e in report.errors)
    assert report.tree_size == 8


def test_tail_truncated_to_a_checkpoint_is_only_visible_from_the_checkpoints(export: Path) -> None:
    (export / cp_name(20)).unlink()
    write_lines(export, read_lines(export)[:13])
    report = verify_directory(export)
    assert report.ok  # nothing signed says there were more: why witnesses matter
    assert report.tree_size == 13


def test_forged_checkpoint_signature(export: Path) -> None:
    path = export / cp_name(8)
    text, _, signature = path.read_text().partition("\n\n")
    prefix, name, encoded = signature.strip().split(" ")
    blob = bytearray(base64.b64decode(encoded))
    blob[10] ^= 0x40
    path.write_text(f"{text}\n\n{prefix} {name} {base64.b64encode(bytes(blob)).decode()}\n")
    report = verify_directory(export)
    assert not report.ok
    assert report.bad_checkpoint == cp_name(8)
    assert report.first_bad_index is None
    assert "does not verify" in report.errors[0]
    assert [cp.size for cp in report.checkpoints] == [3, 5, 13, 20]


def test_checkpoint_signed_by_another_key(export: Path) -> None:
    rogue = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"rogue").digest())
    tree = merkle.MemoryTree(
        merkle.leaf_hash(canonical_event_bytes(make_event(i))) for i in range(13)
    )
    note = sign_checkpoint(checkpoint_body(ORIGIN, 13, tree.root()), ORIGIN, rogue)
    (export / cp_name(13)).write_text(note)
    report = verify_directory(export)
    assert report.bad_checkpoint == cp_name(13)
    assert "key ID does not match" in report.errors[0]


def test_checkpoint_size_tampered(export: Path) -> None:
    path = export / cp_name(8)
    path.write_text(path.read_text().replace("\n8\n", "\n9\n", 1))
    report = verify_directory(export)
    assert report.bad_checkpoint == cp_name(8)


def test_split_view_checkpoint_is_inconsistent(export: Path) -> None:
    """The log key signs a size-13 root over other leaves: roots and consistency fail."""
    hashes = [merkle.leaf_hash(canonical_event_bytes(make_event(i))) for i in range(13)]
    hashes[4] = merkle.leaf_hash(b"another history")
    other = merkle.MemoryTree(hashes)
    note = sign_checkpoint(checkpoint_body(ORIGIN, 13, other.root()), ORIGIN, KEY)
    (export / cp_name(13)).write_text(note)
    report = verify_directory(export)
    assert not report.ok
    assert report.bad_checkpoint == cp_name(13)
    assert any("not consistent with checkpoints/000000000008.txt" in e for e in report.errors)


def test_non_canonical_event_line(export: Path) -> None:
    lines = [json.loads(raw) for raw in read_lines(export)]
    event = json.loads(lines[4]["canonical"])
    lines[4]["canonical"] = json.dumps(event, ensure_ascii=False)  # spaces, key order
    assert canonical_event_bytes(event).decode() != lines[4]["canonical"]
    write_lines(export, [(json.dumps(x, ensure_ascii=False) + "\n").encode() for x in lines])
    report = verify_directory(export)
    assert not report.ok
    assert report.first_bad_index == 4
    assert any("leaf 4" in e and "canonical" in e for e in report.errors)


@pytest.mark.parametrize(
    ("canonical", "message"),
    [
        ('{"id": 1}', "canonical"),
        ("not json", "canonical"),
        (None, "no 'canonical'"),
    ],
)
def test_invalid_event_lines(export: Path, canonical, message: str) -> None:
    lines = read_lines(export)
    line = {"leaf_index": 2} if canonical is None else {"leaf_index": 2, "canonical": canonical}
    lines[2] = (json.dumps(line) + "\n").encode()
    write_lines(export, lines)
    report = verify_directory(export)
    assert report.first_bad_index == 2
    assert any(message in e for e in report.errors)


def test_float_in_event_is_caught(export: Path) -> None:
    lines = [json.loads(raw) for raw in read_lines(export)]
    lines[7]["canonical"] = lines[7]["canonical"].replace('"n":7', '"n":7.0')
    write_lines(export, [(json.dumps(x, ensure_ascii=False) + "\n").encode() for x in lines])
    report = verify_directory(export)
    assert report.first_bad_index == 7
    assert any("float" in e for e in report.errors)


def test_indexes_must_start_at_zero(export: Path) -> None:
    write_lines(export, read_lines(export)[1:])
    report = verify_directory(export)
    assert report.first_bad_index == 0
    assert "leaf_index 1, expected 0" in report.errors[0]


def test_bad_public_key(export: Path) -> None:
    (export / "public_key.txt").write_text("tsdash.example/audit+00000000+AAAA\n")
    report = verify_directory(export)
    assert not report.ok
    assert report.errors[0].startswith("public_key.txt")
    (export / "public_key.txt").unlink()
    assert not verify_directory(export).ok


def test_other_log_key_rejects_every_checkpoint(export: Path) -> None:
    other = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"other").digest())
    (export / "public_key.txt").write_text(verifier_key(ORIGIN, other.public_key()))
    report = verify_directory(export)
    assert not report.ok
    assert report.bad_checkpoint == cp_name(3)
    assert report.checkpoints == []


def test_origins_must_agree(export: Path) -> None:
    tree = merkle.MemoryTree(
        merkle.leaf_hash(canonical_event_bytes(make_event(i))) for i in range(13)
    )
    note = sign_checkpoint(checkpoint_body("other.example/log", 13, tree.root()), ORIGIN, KEY)
    (export / cp_name(13)).write_text(note)
    report = verify_directory(export)
    assert report.bad_checkpoint == cp_name(13)
    assert "origin" in report.errors[0]


def test_checkpoint_file_name_must_match_size(export: Path) -> None:
    (export / cp_name(8)).rename(export / cp_name(9))
    report = verify_directory(export)
    assert report.bad_checkpoint == cp_name(9)
    assert "file name says size 9" in report.errors[0]


def test_no_checkpoints(export: Path) -> None:
    for path in (export / "checkpoints").iterdir():
        path.unlink()
    report = verify_directory(export)
    assert not report.ok
    assert "no signed checkpoint" in report.errors[0]


def test_missing_directory(tmp_path: Path) -> None:
    report = verify_directory(tmp_path / "nope")
    assert not report.ok


def test_command_line_exit_codes(export: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "audit.verify", str(export)]
    ok = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[-1].startswith("OK: audit log intact")

    lines = read_lines(export)
    lines[6] = lines[6].replace(b"user006", b"user007")
    write_lines(export, lines)
    bad = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "first bad leaf index 6" in bad.stderr
    assert cp_name(8) in bad.stderr


def test_verifier_does_not_import_django() -> None:
    code = (
        "import sys, audit.verify, audit.merkle, audit.checkpoint, audit.canonical\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django')\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
