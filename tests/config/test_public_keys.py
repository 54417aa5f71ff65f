"""The public key page: the keys an outsider checks packages and audit exports with."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit import log
from audit.checkpoint import parse_verifier_key
from disclosures import crypto

pytestmark = pytest.mark.django_db

URLS = (
    "public_keys:page",
    "public_keys:json",
    "public_keys:audit_log",
    "public_keys:disclosure_packages",
)


def _sha256_of_b64(value: str) -> str:
    return hashlib.sha256(base64.b64decode(value)).hexdigest()


def test_public_key_page_shows_both_keys_with_fingerprints_to_anonymous_visitors(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        response = Client().get(reverse("public_keys:page"))

    assert response.status_code == 200
    html = response.content.decode()
    vkey = log.verifier_key()
    package_key = crypto.public_key_b64()
    assert vkey in html
    assert package_key in html
    grouped = re.sub(r"(.{4})(?!$)", r"\1 ", _sha256_of_b64(package_key))
    assert grouped in html
    assert re.sub(r"(.{4})(?!$)", r"\1 ", parse_verifier_key(vkey).fingerprint) in html
    assert "--public-key" in html  # how to use it


def test_public_key_page_is_cacheable_for_everyone_and_sets_no_cookie():
    for name in URLS:
        response = Client().get(reverse(name))

        assert response.status_code == 200, name
        cache = response["Cache-Control"]
        assert "public" in cache, name
        assert "max-age=3600" in cache, name
        # No CSRF or session cookie. (The session middleware still adds "Vary: Cookie",
        # since the session policy looks at every request's user; cookieless visitors, the
        # audience of this page, then share one cached copy.)
        assert not response.cookies, name


def test_public_key_page_is_the_same_for_a_signed_in_user(auditor_client):
    anonymous = Client().get(reverse("public_keys:page"))
    signed_in = auditor_client.get(reverse("public_keys:page"))

    assert signed_in.status_code == 200
    assert signed_in.content == anonymous.content  # nothing per-user that a cache could leak


def test_public_key_page_holds_no_script_no_inline_style_and_no_secret(settings):
    response = Client().get(reverse("public_keys:page"))
    html = response.content.decode()

    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html
    assert "Content-Security-Policy" in response.headers
    private = crypto.signing_key().private_bytes_raw()
    for secret in (private, log.signing_key().private_bytes_raw()):
        assert base64.b64encode(secret).decode() not in html
        assert secret.hex() not in html
    assert settings.SECRET_KEY not in html


def test_json_and_text_variants_carry_the_same_keys():
    data = json.loads(Client().get(reverse("public_keys:json")).content)
    vkey_text = Client().get(reverse("public_keys:audit_log"))
    package_text = Client().get(reverse("public_keys:disclosure_packages"))

    assert data["format"] == "tsdash-public-keys/1"
    assert data["audit_log"]["verifier_key"] == log.verifier_key()
    assert data["audit_log"]["fingerprint"] == _sha256_of_b64(data["audit_log"]["public_key"])
    assert data["disclosure_packages"]["public_key"] == crypto.public_key_b64()
    assert data["disclosure_packages"]["fingerprint"] == _sha256_of_b64(crypto.public_key_b64())
    assert vkey_text["Content-Type"].startswith("text/plain")
    assert vkey_text.content.decode().strip() == log.verifier_key()
    assert package_text.content.decode().strip() == crypto.public_key_b64()


def test_public_key_page_answers_get_only():
    assert Client().post(reverse("public_keys:page")).status_code == 405


def test_cover_letter_sends_the_recipient_to_the_published_key():
    html = render_to_string(
        "disclosures/release/cover_letter.html",
        {
            "ctx": {"reference": "LR-1"},
            "scope": {},
            "counts": {"accounts": 0, "phone_numbers": 0, "ip_records": 0},
            "public_key": crypto.public_key_b64(),
            "created_at": timezone.now(),
            "categories": [],
        },
    )

    assert reverse("public_keys:page") in html
    assert crypto.public_key_b64() in html
    assert "release-proof.json" in html
