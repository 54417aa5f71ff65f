"""Loading the Ed25519 signing keys (audit checkpoints, disclosure manifests) from settings."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def load_ed25519_key(*, raw: str, path: str, setting: str, dev_label: str) -> Ed25519PrivateKey:
    """
    The key from `<setting>_FILE` (PEM or base64) or `<setting>` (base64 of the 32-byte
    private key); without either, a stand-in derived from SECRET_KEY (development only:
    production settings require the real key).
    """
    if path:
        data = Path(path).read_bytes().strip()
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ImproperlyConfigured(f"{setting}_FILE is not an Ed25519 key.")
            return key
        raw = data.decode()
    if raw:
        try:
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(raw))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{setting} must be base64 of a 32-byte Ed25519 private key."
            ) from exc
    seed = hashlib.sha256(f"{dev_label}:{settings.SECRET_KEY}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)
