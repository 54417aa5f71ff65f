"""The log's signing key, which never lives in the database, and the key auditors are given."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from audit import checkpoint as notes
from config.keys import load_ed25519_key


@lru_cache(maxsize=2)
def _signing_key(raw: str, path: str) -> Ed25519PrivateKey:
    return load_ed25519_key(raw=raw, path=path, setting="AUDIT_SIGNING_KEY", dev_label="audit-log")


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(settings.AUDIT_SIGNING_KEY, settings.AUDIT_SIGNING_KEY_FILE)


def verifier_key() -> str:
    """The public verifier key (C2SP vkey) to give auditors; shown on the integrity page."""
    return notes.verifier_key(settings.AUDIT_KEY_NAME, signing_key().public_key())
