"""C2SP tlog-checkpoint / signed-note: signing, opening, forgeries, verifier keys."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import merkle
from audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    checkpoint_body,
    key_id,
    open_checkpoint,
    open_note,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    verifier_key,
)

ORIGIN = "tsdash.example/audit"
KEY_NAME = "tsdash.example/audit"
ROOT = merkle.root([merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b"), merkle.leaf_hash(b"c")])

# golang.org/x/mod/sumdb/note's documented example (note.go / note_test.go).
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
    "vqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test checkpoint key").digest())


@pytest.fixture(scope="module")
def vkey(key) -> str:
    return verifier_key(KEY_NAME, key.public_key())


@pytest.fixture(scope="module")
def note(key) -> str:
    return sign_checkpoint(checkpoint_body(ORIGIN, 3, ROOT), KEY_NAME, key)


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_body_format() -> None:
    body = checkpoint_body(ORIGIN, 3, ROOT)
    assert body == f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}\n"
    assert checkpoint_body(ORIGIN, 0, merkle.EMPTY_ROOT).split("\n")[1] == "0"
    with pytest.raises(CheckpointError):
        checkpoint_body("", 3, ROOT)
    with pytest.raises(CheckpointError):
        checkpoint_body("two\nlines", 3, ROOT)
    with pytest.raises(CheckpointError):
        checkpoint_body(ORIGIN, -1, ROOT)
    with pytest.raises(CheckpointError):
        checkpoint_body(ORIGIN, 3, ROOT[:31])


def test_sign_and_open_round_trip(key, vkey, note) -> None:
    text, _, signature = note.partition("\n\n")
    assert text + "\n" == checkpoint_body(ORIGIN, 3, ROOT)
    assert signature.startswith(f"\u2014 {KEY_NAME} ")
    assert signature.endswith("\n")
    blob = base64.b64decode(signature.split(" ")[2])
    assert len(blob) == 4 + 64
    assert blob[:4] == key_id(KEY_NAME, key.public_key())
    key.public_key().verify(blob[4:], (text + "\n").encode())

    cp = open_checkpoint(note, vkey)
    assert cp == Checkpoint(origin=ORIGIN, size=3, root=ROOT, note=note)
    assert open_checkpoint(note.encode(), vkey) == cp


def test_verifier_key_format(key, vkey) -> None:
    name, hex_id, material = vkey.split("+", 2)
    assert name == KEY_NAME
    raw = _raw_public(key)
    assert hex_id == hashlib.sha256(KEY_NAME.encode() + b"\n\x01" + raw).digest()[:4].hex()
    assert base64.b64decode(material) == b"\x01" + raw
    parsed = parse_verifier_key(vkey)
    assert parsed.name == KEY_NAME
    assert parsed.key_id.hex() == hex_id
    assert str(parsed) == vkey
    assert verifier_key(KEY_NAME, raw) == vkey
    assert parse_verifier_key(vkey + "\n") == parsed


def test_interoperates_with_go_sumdb_note() -> None:
    """Ed25519 is deterministic: we reproduce Go's signed note byte for byte."""
    go_key = Ed25519PrivateKey.from_private_bytes(GO_SEED)
    assert verifier_key("PeterNeumann", go_key.public_key()) == GO_VKEY
    assert sign_note(GO_TEXT, "PeterNeumann", go_key) == GO_NOTE
    assert open_note(GO_NOTE, GO_VKEY) == GO_TEXT
    with pytest.raises(CheckpointError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), GO_VKEY)
    with pytest.raises(CheckpointError, match=r"tree size|lines"):
        open_checkpoint(GO_NOTE, GO_VKEY)  # a valid note, but not a checkpoint


def test_forged_signature_rejected(vkey, note) -> None:
    text, _, signature = note.partition("\n\n")
    prefix, name, encoded = signature.rstrip("\n").split(" ")
    blob = bytearray(base64.b64decode(encoded))
    for position in (4, 20, 67):  # inside the Ed25519 signature
        forged = bytearray(blob)
        forged[position] ^= 0x01
        bad = f"{text}\n\n{prefix} {name} {base64.b64encode(bytes(forged)).decode()}\n"
        with pytest.raises(CheckpointError, match="does not verify"):
            open_checkpoint(bad, vkey)


def test_signature_by_another_key_with_same_name_rejected(vkey) -> None:
    other = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"attacker").digest())
    forged = sign_checkpoint(checkpoint_body(ORIGIN, 3, ROOT), KEY_NAME, other)
    with pytest.raises(CheckpointError, match="key ID does not match"):
        open_checkpoint(forged, vkey)


def test_wrong_key_name_rejected(key, note) -> None:
    other_name = verifier_key("someone.else/log", key.public_key())
    with pytest.raises(CheckpointError, match="no signature"):
        open_checkpoint(note, other_name)
    # Same key, signature line claiming another name but carrying our key ID.
    renamed = note.replace(f"\u2014 {KEY_NAME} ", "\u2014 impostor.example/log ")
    with pytest.raises(CheckpointError, match="name does not match"):
        open_checkpoint(renamed, verifier_key(KEY_NAME, key.public_key()))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n3\n", "\n4\n"),  # size line
        ("\n3\n", "\n03\n"),
        (base64.b64encode(ROOT).decode()[:6], "AAAAAA"),  # root line
        (ORIGIN + "\n", "evil.example/audit\n"),  # origin line
    ],
)
def test_tampered_lines_rejected(vkey, note, old: str, new: str) -> None:
    tampered = note.replace(old, new, 1)
    assert tampered != note
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(tampered, vkey)


def test_extra_lines_after_signing_rejected(vkey, note) -> None:
    text, _, signature = note.partition("\n\n")
    with pytest.raises(CheckpointError):
        open_checkpoint(f"{text}\nextension\n\n{signature}", vkey)


def test_unknown_cosignatures_are_ignored(key, vkey, note) -> None:
    witness = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"witness").digest())
    body = checkpoint_body(ORIGIN, 3, ROOT)
    witness_line = sign_note(body, "witness.example/w1", witness).split("\n\n")[1]
    cosigned = note + witness_line
    assert open_checkpoint(cosigned, vkey).size == 3
    only_witness = body + "\n" + witness_line
    with pytest.raises(CheckpointError, match="no signature"):
        open_checkpoint(only_witness, vkey)


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n01\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n3\n{base64.b64encode(ROOT[:31]).decode()}\n",  # short root
        f"{ORIGIN}\n3\nnot base64!\n",
        f"{ORIGIN}\n3\n",  # no root line
    ],
)
def test_malformed_checkpoints_rejected_even_if_signed(key, vkey, body: str) -> None:
    note = sign_note(body, KEY_NAME, key)
    with pytest.raises(CheckpointError):
        open_checkpoint(note, vkey)
    with pytest.raises(CheckpointError):
        sign_checkpoint(body, KEY_NAME, key)


def test_extension_lines_are_returned(key, vkey) -> None:
    body = checkpoint_body(ORIGIN, 3, ROOT) + "ext one\n"
    cp = open_checkpoint(sign_checkpoint(body, KEY_NAME, key), vkey)
    assert cp.extensions == ("ext one",)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.rstrip("\n"),  # no final newline
        lambda n: n.replace("\n\n", "\n"),  # no blank line
        lambda n: n.split("\n\n")[0] + "\n\n",  # no signature
        lambda n: n.replace("\u2014 ", "-- "),  # not an em dash
        lambda n: n.replace("\n\n", "\n\n\x07"),  # control character
        lambda n: n[:-2] + "!\n",  # broken base64
    ],
)
def test_malformed_notes_rejected(vkey, note, mangle) -> None:
    with pytest.raises(CheckpointError):
        open_checkpoint(mangle(note), vkey)


def test_bad_verifier_keys_rejected(key, vkey, note) -> None:
    name, hex_id, material = vkey.split("+", 2)
    raw = _raw_public(key)
    bad_keys = [
        "",
        "garbage",
        f"{name}+{hex_id}",
        f"{name}+{'0' * 8}+{material}",  # key ID does not match
        f"{name}+{hex_id.upper()}+{material}",
        f"{name}+{hex_id}+{base64.b64encode(b'\x02' + raw).decode()}",  # not Ed25519
        f"{name}+{hex_id}+{base64.b64encode(b'\x01' + raw[:31]).decode()}",  # short key
        f"{name}+{hex_id}+{material[:-4]}",
        f"+{hex_id}+{material}",
        f"bad name+{hex_id}+{material}",
    ]
    for bad in bad_keys:
        with pytest.raises(CheckpointError):
            parse_verifier_key(bad)
        with pytest.raises(CheckpointError):
            open_checkpoint(note, bad)


def test_bad_key_names_rejected_when_signing(key) -> None:
    body = checkpoint_body(ORIGIN, 3, ROOT)
    for name in ("", "has space", "has+plus"):
        with pytest.raises(CheckpointError):
            sign_checkpoint(body, name, key)
