"""
The feed's signature: Ed25519 over the exact response body, so the search service can tell
that a policy it is about to enforce came from here and was not changed on the way (a proxy,
a cache, a compromised mirror). The key comes from `SEARCH_POLICY_SIGNING_KEY` (base64 of the
32-byte private key) or `SEARCH_POLICY_SIGNING_KEY_FILE` (PEM or base64), like the audit and
disclosure keys; without either, a development stand-in derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from config.keys import load_ed25519_key

SIGNATURE_HEADER = "Signature-Ed25519"
KEY_HEADER = "Signature-Key-Fingerprint"


def _setting(name: str) -> str:
    # Read from the settings when config declares them, else straight from the environment.
    return str(getattr(settings, name, None) or os.environ.get(name, ""))


@lru_cache(maxsize=2)
def _signing_key(raw: str, path: str) -> Ed25519PrivateKey:
    return load_ed25519_key(
        raw=raw, path=path, setting="SEARCH_POLICY_SIGNING_KEY", dev_label="search-policy-feed"
    )


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(
        _setting("SEARCH_POLICY_SIGNING_KEY"), _setting("SEARCH_POLICY_SIGNING_KEY_FILE")
    )


def public_key_bytes() -> bytes:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_key_b64() -> str:
    return base64.b64encode(public_key_bytes()).decode()


def fingerprint() -> str:
    """SHA-256 of the raw public key, hex (as the audit and disclosure keys are shown)."""
    return hashlib.sha256(public_key_bytes()).hexdigest()


def sign(body: bytes) -> str:
    return base64.b64encode(signing_key().sign(body)).decode()


def verify(body: bytes, signature_b64: str, public_b64: str) -> bool:
    """What the search service does with the body, the header and the published key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64, validate=True))
        key.verify(base64.b64decode(signature_b64, validate=True), body)
    except (InvalidSignature, ValueError):
        return False
    return True
