"""
Field-level encryption and blind indexes for subscriber data, and the package signing key.

- Values (phone numbers, IP addresses, target identifiers) are encrypted with Fernet
  (AES-128-CBC + HMAC-SHA256) under `FIELD_ENCRYPTION_KEYS` (`core.encryption`, shared with
  the reported media): the first key encrypts, every key decrypts, so keys rotate without
  downtime.
- Exact lookups go through a blind index: HMAC-SHA256 of the normalised value under
  `BLIND_INDEX_KEY`, a separate key, so the index reveals nothing without it.
- Release packages are signed with Ed25519 (`DISCLOSURE_SIGNING_KEY`, base64 of the 32-byte
  private key, or `DISCLOSURE_SIGNING_KEY_FILE`).

Development derives stand-in keys from SECRET_KEY; production settings require real ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import models

from config.keys import load_ed25519_key
from core.encryption import DecryptionFailed, derived_key, fernet


def _derived(label: str) -> bytes:
    return derived_key(label)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("cannot decrypt: unknown key or tampered value") from exc


def reencrypt(token: str) -> str:
    """The same value under the current (first) key."""
    return fernet().rotate(token.encode()).decode()


def blind_index(value: str, *, kind: str) -> str:
    key = (settings.BLIND_INDEX_KEY or "").encode() or _derived("blind-index")
    message = f"{kind}:{value.strip().lower()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column that stores Fernet ciphertext and gives back the clear value in Python."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(str(value))


@lru_cache(maxsize=2)
def _signing_key(raw: str, path: str) -> Ed25519PrivateKey:
    return load_ed25519_key(
        raw=raw, path=path, setting="DISCLOSURE_SIGNING_KEY", dev_label="disclosure-signing"
    )


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(settings.DISCLOSURE_SIGNING_KEY, settings.DISCLOSURE_SIGNING_KEY_FILE)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_b64() -> str:
    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign(data: bytes) -> str:
    return base64.b64encode(signing_key().sign(data)).decode()


def verify(data: bytes, signature_b64: str, public_b64: str | None = None) -> bool:
    from cryptography.exceptions import InvalidSignature

    key = (
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        if public_b64
        else public_key()
    )
    try:
        key.verify(base64.b64decode(signature_b64), data)
    except (InvalidSignature, ValueError):
        return False
    return True
