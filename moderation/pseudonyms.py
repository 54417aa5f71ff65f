"""Stable pseudonyms for people moderators should not identify (reporters)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def pseudonym(kind: str, value: str) -> str:
    digest = hmac.new(settings.AUDIT_HMAC_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:8]
