"""
Encryption at rest under `FIELD_ENCRYPTION_KEYS`: one key list for every app.

The setting is a comma-separated list of Fernet keys (AES-128-CBC + HMAC-SHA256): the first key
encrypts, every key decrypts, so a key is rotated by putting the new one first and running
`manage.py rotate_keys`, which re-encrypts columns and files under it. Development derives a
stand-in key from SECRET_KEY; production settings require real keys.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(ValueError):
    """The value was encrypted under a key that is not configured (or was tampered with)."""


def derived_key(label: str) -> bytes:
    """A development stand-in key for `label`, derived from SECRET_KEY."""
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    if keys:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
    else:
        parts = [base64.urlsafe_b64encode(derived_key("field-encryption")).decode()]
    try:
        return MultiFernet([Fernet(k) for k in parts])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (Fernet.generate_key())."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEYS)


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionFailed("cannot decrypt: unknown key or tampered value") from exc


def reencrypt_bytes(token: bytes) -> bytes:
    """The same bytes under the current (first) key."""
    return fernet().rotate(token)


def is_current(token: bytes) -> bool:
    """Whether the token is encrypted under the current (first) key already."""
    try:
        fernet()._fernets[0].decrypt(token)
    except InvalidToken:
        return False
    return True
