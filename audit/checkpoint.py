"""
Signed checkpoints: C2SP tlog-checkpoint notes signed per C2SP signed-note with Ed25519.
Pure Python + `cryptography`, no Django (the standalone verifier uses it).

Checkpoint note text (https://c2sp.org/tlog-checkpoint)::

    <origin>\\n
    <tree size, ASCII decimal, no leading zeros>\\n
    <base64 (RFC 4648, padded) of the 32-byte RFC 6962 root hash>\\n
    [<extension line>\\n ...]          (optional, non-empty; we never write any)

Signed note (https://c2sp.org/signed-note): the text above, a blank line, then one
signature line per signer::

    — <key name> <base64(4-byte key ID || 64-byte Ed25519 signature over the note text)>\\n

where "—" is U+2014 EM DASH and key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public
key)[:4]. The verifier key string (vkey) handed to auditors is::

    <key name>+<key ID as 8 lower-case hex digits>+<base64(0x01 || 32-byte public key)>

Opening a note checks the signature of the one trusted key (signatures by other keys, e.g.
witness cosignatures, are ignored as the spec requires) and then the checkpoint format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "VerifierKey",
    "checkpoint_body",
    "fingerprint",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_verifier_key",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
]

ED25519_TYPE = b"\x01"
HASH_SIZE = 32
MAX_SIGNATURES = 100
_SIG_PREFIX = "\u2014 "  # em dash, space
_SIZE = re.compile(r"0|[1-9][0-9]*")
_KEY_HASH = re.compile(r"[0-9a-f]{8}")


class CheckpointError(ValueError):
    """A checkpoint note, its signature or a verifier key is malformed or does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes  # 4 bytes
    public_key: Ed25519PublicKey

    def __str__(self) -> str:
        return verifier_key(self.name, self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


# --- helpers ----------------------------------------------------------------------------------
def _b64decode_strict(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise CheckpointError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _check_key_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise CheckpointError("key name must be a non-empty string")
    if "+" in name or any(c.isspace() for c in name) or not name.isprintable():
        raise CheckpointError(f"key name {name!r} must not contain spaces, '+' or controls")


def _check_note_chars(text: str, what: str) -> None:
    for c in text:
        if c != "\n" and ord(c) < 0x20:
            raise CheckpointError(f"{what} contains a control character {c!r}")


def _public_bytes(public_key: Ed25519PublicKey | bytes) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = bytes(public_key)
    if len(raw) != 32:
        raise CheckpointError("an Ed25519 public key is 32 bytes")
    return raw


def key_id(key_name: str, public_key: Ed25519PublicKey | bytes) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || public key)[:4]."""
    _check_key_name(key_name)
    digest = hashlib.sha256(
        key_name.encode() + b"\n" + ED25519_TYPE + _public_bytes(public_key)
    ).digest()
    return digest[:4]


def fingerprint(public_key: Ed25519PublicKey | bytes) -> str:
    """
    SHA-256 of the raw 32-byte Ed25519 public key, 64 lower-case hex digits: long enough to
    compare two copies of a key read out over the telephone, unlike the 4-byte key ID.
    """
    return hashlib.sha256(_public_bytes(public_key)).hexdigest()


# --- writing ----------------------------------------------------------------------------------
def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The checkpoint note text: origin, size and base64 root lines, each ending in newline."""
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise CheckpointError("origin must be a non-empty single line")
    _check_note_chars(origin, "origin")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise CheckpointError("tree size must be a non-negative integer")
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"root hash must be {HASH_SIZE} bytes")
    return f"{origin}\n{size}\n{base64.b64encode(bytes(root)).decode('ascii')}\n"


def sign_checkpoint(body: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: `body`, a blank line and the Ed25519 signature line of `key_name`."""
    _parse_body(body)
    return sign_note(body, key_name, private_key)


def sign_note(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign any note text (ending in a newline) per C2SP signed-note with Ed25519."""
    if not isinstance(text, str) or not text.endswith("\n") or text.endswith("\n\n"):
        raise CheckpointError("note text must end with exactly one newline")
    _check_note_chars(text, "note text")
    _check_key_name(key_name)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise CheckpointError("the signing key must be an Ed25519 private key")
    signature = private_key.sign(text.encode("utf-8"))
    blob = key_id(key_name, private_key.public_key()) + signature
    return f"{text}\n{_SIG_PREFIX}{key_name} {base64.b64encode(blob).decode('ascii')}\n"


def verifier_key(key_name: str, public_key: Ed25519PublicKey | bytes) -> str:
    """The C2SP verifier key string: name+hexkeyid+base64(0x01 || public key)."""
    raw = _public_bytes(public_key)
    encoded = base64.b64encode(ED25519_TYPE + raw).decode("ascii")
    return f"{key_name}+{key_id(key_name, raw).hex()}+{encoded}"


# --- reading ----------------------------------------------------------------------------------
def parse_verifier_key(vkey: str) -> VerifierKey:
    """Parse and check a verifier key string (the key ID must match the name and key)."""
    if not isinstance(vkey, str):
        raise CheckpointError("verifier key must be a string")
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise CheckpointError("verifier key must look like <name>+<8 hex digits>+<base64 key>")
    name, hex_id, encoded = parts
    _check_key_name(name)
    if not _KEY_HASH.fullmatch(hex_id):
        raise CheckpointError("verifier key hash must be 8 lower-case hex digits")
    raw = _b64decode_strict(encoded, "verifier key")
    if len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise CheckpointError("verifier key is not an Ed25519 key (0x01 || 32 bytes)")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    expected = key_id(name, raw[1:])
    if expected.hex() != hex_id:
        raise CheckpointError(
            f"verifier key hash {hex_id} does not match its name and key ({expected.hex()})"
        )
    return VerifierKey(name=name, key_id=expected, public_key=public_key)


def _parse_body(text: str) -> tuple[str, int, bytes, tuple[str, ...]]:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    _check_note_chars(text, "checkpoint text")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("checkpoint text needs origin, tree size and root hash lines")
    if any(line == "" for line in lines):
        raise CheckpointError("checkpoint text lines must not be empty")
    origin, size_line, root_line, *extensions = lines
    if not _SIZE.fullmatch(size_line):
        raise CheckpointError(f"tree size line {size_line!r} is not a decimal without zeros")
    root = _b64decode_strict(root_line, "root hash line")
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"root hash is {len(root)} bytes, want {HASH_SIZE}")
    return origin, int(size_line), root, tuple(extensions)


def open_checkpoint(note: str | bytes, vkey: str | VerifierKey) -> Checkpoint:
    """
    Verify `note`'s signature by the key `vkey` and parse the checkpoint it carries.
    Raises CheckpointError if the note is malformed, carries no signature by that key
    (name and key ID), a signature by that key fails, or the text is not a checkpoint.
    """
    if isinstance(note, bytes | bytearray):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("note is not valid UTF-8") from exc
    text = open_note(note, vkey)
    origin, size, root, extensions = _parse_body(text)
    return Checkpoint(origin=origin, size=size, root=root, note=note, extensions=extensions)


def open_note(note: str | bytes, vkey: str | VerifierKey) -> str:
    """Verify a signed note's signature by `vkey`; return its text (CheckpointError if not)."""
    key = vkey if isinstance(vkey, VerifierKey) else parse_verifier_key(vkey)
    if isinstance(note, bytes | bytearray):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("note is not valid UTF-8") from exc
    if not isinstance(note, str):
        raise CheckpointError("note must be text")
    _check_note_chars(note, "note")
    if not note.endswith("\n"):
        raise CheckpointError("note must end with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    sig_lines = signature_block[:-1].split("\n") if signature_block else []
    if not sig_lines:
        raise CheckpointError("note has no signature lines")
    if len(sig_lines) > MAX_SIGNATURES:
        raise CheckpointError("note has too many signatures")

    verified = False
    names_seen, ids_seen = set(), set()
    for number, line in enumerate(sig_lines, start=1):
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError(f"signature line {number} does not start with '— '")
        fields = line[len(_SIG_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise CheckpointError(f"signature line {number} is not '— <name> <signature>'")
        name, encoded = fields
        _check_key_name(name)
        blob = _b64decode_strict(encoded, f"signature line {number}")
        if len(blob) < 5:
            raise CheckpointError(f"signature line {number} is too short")
        names_seen.add(name)
        ids_seen.add(blob[:4])
        if name != key.name or blob[:4] != key.key_id:
            continue  # another signer (e.g. a witness): ignored
        if len(blob) != 4 + 64:
            raise CheckpointError(f"signature by {name} is not an Ed25519 signature")
        try:
            key.public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature as exc:
            raise CheckpointError(f"signature by {name} does not verify") from exc
        verified = True
    if not verified:
        if key.name in names_seen:
            raise CheckpointError(
                f"note is signed by a key named {key.name} but its key ID does not match "
                f"{key.key_id.hex()}"
            )
        if key.key_id in ids_seen:
            raise CheckpointError(f"note's signature key name does not match {key.name}")
        raise CheckpointError(f"note has no signature by {key.name}+{key.key_id.hex()}")
    return text
