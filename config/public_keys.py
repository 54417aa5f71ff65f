"""
The public key page: the keys an outsider needs to check what this platform signs.

A judicial authority holding a disclosure package, or an auditor holding an audit export,
must not have to trust the copy of the key that came inside it: whoever could forge the
package or rewrite the export could have replaced that copy too. This page publishes the
same keys, with fingerprints to read out over another channel, without a login. It holds
no secret (public keys only, derived from the signing keys) and reads no database, so it
is served the same to everyone and may be cached.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from audit import log
from audit.checkpoint import fingerprint, parse_verifier_key
from disclosures import crypto

app_name = "public_keys"

#: Long enough to spare the signing keys on every hit, short enough that a rotated key is
#: seen within the hour. Shared caches may keep it: the page is the same for everyone.
MAX_AGE = 3600
FORMAT = "tsdash-public-keys/1"


@dataclass(frozen=True)
class AuditLogKey:
    """The audit log's verifier key: opens every checkpoint, proof and export."""

    verifier_key: str  # C2SP vkey, what `--public-key` takes
    key_name: str
    origin: str
    public_key: str  # base64 of the raw 32-byte Ed25519 key
    fingerprint: str
    algorithm: str = "Ed25519"


@dataclass(frozen=True)
class DisclosureKey:
    """The key that signs every disclosure package's manifest (manifest.sig)."""

    public_key: str  # base64 of the raw 32-byte Ed25519 key, as in manifest.json
    fingerprint: str
    algorithm: str = "Ed25519"


def audit_log_key() -> AuditLogKey:
    vkey = log.verifier_key()
    parsed = parse_verifier_key(vkey)
    raw = parsed.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return AuditLogKey(
        verifier_key=vkey,
        key_name=parsed.name,
        origin=settings.AUDIT_LOG_ORIGIN,
        public_key=base64.b64encode(raw).decode(),
        fingerprint=parsed.fingerprint,
    )


def disclosure_key() -> DisclosureKey:
    encoded = crypto.public_key_b64()
    return DisclosureKey(public_key=encoded, fingerprint=fingerprint(base64.b64decode(encoded)))


def _grouped(hex_digits: str) -> str:
    """A fingerprint in groups of four, easier to read aloud and compare by eye."""
    return " ".join(hex_digits[i : i + 4] for i in range(0, len(hex_digits), 4))


def _public[V: Callable[..., HttpResponse]](view: V) -> V:
    """No login, GET only, the same cacheable answer for everyone."""
    return login_not_required(require_GET(cache_control(public=True, max_age=MAX_AGE)(view)))


@_public
def page(request: HttpRequest) -> HttpResponse:
    audit_key, package_key = audit_log_key(), disclosure_key()
    return render(
        request,
        "public_keys.html",
        {
            "audit_key": audit_key,
            "audit_fingerprint": _grouped(audit_key.fingerprint),
            "package_key": package_key,
            "package_fingerprint": _grouped(package_key.fingerprint),
        },
    )


@_public
def as_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "format": FORMAT,
            "fingerprint": "SHA-256 of the raw 32-byte Ed25519 public key, hex",
            "audit_log": asdict(audit_log_key()),
            "disclosure_packages": asdict(disclosure_key()),
        }
    )


def _text(value: str) -> HttpResponse:
    return HttpResponse(value + "\n", content_type="text/plain; charset=utf-8")


@_public
def audit_log_vkey(request: HttpRequest) -> HttpResponse:
    """The verifier key alone, for `--public-key "$(curl -s …/keys/audit-log.txt)"`."""
    return _text(audit_log_key().verifier_key)


@_public
def disclosure_public_key(request: HttpRequest) -> HttpResponse:
    return _text(disclosure_key().public_key)


urlpatterns = [
    path("", page, name="page"),
    path("keys.json", as_json, name="json"),
    path("audit-log.txt", audit_log_vkey, name="audit_log"),
    path("disclosure-packages.txt", disclosure_public_key, name="disclosure_packages"),
]
