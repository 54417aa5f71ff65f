"""The feed is signed over its exact bytes; the search service checks it with the published key."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import override_settings

from accounts.roles import Role
from search_policy import signing
from tests.search_policy.helpers import FEED_URL, add_term, delist, feed_client

pytestmark = pytest.mark.django_db
KEY_URL = f"{FEED_URL}/public-key"


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-signature")


def test_the_body_verifies_with_the_published_key_and_a_tampered_one_does_not(senior):
    add_term(senior, "contraband")
    delist(senior, platform_id="chan-fake")
    platform = feed_client()

    key = platform.get(KEY_URL).json()
    answer = platform.get(FEED_URL)

    body, signature = answer.content, answer[signing.SIGNATURE_HEADER]
    assert key["algorithm"] == "Ed25519"
    assert answer[signing.KEY_HEADER] == key["fingerprint"]
    assert answer["Content-Type"].startswith("application/json")
    assert signing.verify(body, signature, key["public_key"])
    assert json.loads(body)["to"] == 2

    tampered = body.replace(b"chan-fake", b"chan-real")
    assert tampered != body
    assert not signing.verify(tampered, signature, key["public_key"])
    assert not signing.verify(body, signature, base64.b64encode(b"\0" * 32).decode())
    assert not signing.verify(body, "not base64!", key["public_key"])


def test_the_key_comes_from_the_environment_when_set(senior):
    private = Ed25519PrivateKey.generate()
    raw = base64.b64encode(private.private_bytes_raw()).decode()
    public = base64.b64encode(private.public_key().public_bytes_raw()).decode()
    add_term(senior, "contraband")
    with override_settings(SEARCH_POLICY_SIGNING_KEY=raw):
        platform = feed_client()
        assert platform.get(KEY_URL).json()["public_key"] == public
        answer = platform.get(FEED_URL)
    assert signing.verify(answer.content, answer[signing.SIGNATURE_HEADER], public)


def test_every_page_is_signed_and_a_304_has_no_body_to_sign(senior):
    for word in ("alpha", "bravo", "charlie"):
        add_term(senior, word)
    platform = feed_client()
    public = platform.get(KEY_URL).json()["public_key"]
    first = platform.get(FEED_URL, {"limit": 2})
    second = platform.get(FEED_URL, {"cursor": first.json()["next_cursor"]})
    for page in (first, second):
        assert signing.verify(page.content, page[signing.SIGNATURE_HEADER], public)
    same = platform.client.get(
        FEED_URL, headers={**platform._headers(), "If-None-Match": first["ETag"]}
    )
    assert same.status_code == 304
    assert signing.SIGNATURE_HEADER not in same


def test_the_public_key_needs_the_scope():
    assert feed_client("reports").get(KEY_URL).status_code == 403
    assert feed_client().client.get(KEY_URL).status_code == 401


def test_the_openapi_document_describes_the_signature_and_the_key(client):
    schema = client.get("/api/v1/openapi.json").json()
    feed = schema["paths"]["/api/v1/search-policy"]["get"]
    key = schema["paths"]["/api/v1/search-policy/public-key"]["get"]
    assert "Signature-Ed25519" in feed["description"]
    assert key["security"] == [{"ApiTokenAuth": ["search_policy"]}]
