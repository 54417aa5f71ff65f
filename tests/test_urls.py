"""Every URL needs a login unless it is explicitly public."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.routes import all_routes, concrete_url

pytestmark = pytest.mark.django_db

# Reachable without a login, and why.
PUBLIC = {
    "healthz": "load balancers probe it",
    "language_set": "POST-only language switcher; the login page offers it too",
    "public_keys:page": "public keys: recipients check packages and exports against it",
    "public_keys:json": "public keys: the same, as JSON",
    "public_keys:audit_log": "public keys: the audit log's verifier key, as text",
    "public_keys:disclosure_packages": "public keys: the disclosure package key, as text",
    "accounts:login": "the way in",
    "accounts:enrol": "a one-time link's page, where an account's owner sets their password",
    "admin:login": "the admin's own sign-in form",
    "admin:logout": "POST-only; logging out is harmless",
    "admin:password_reset": "not routed (no such pattern) – listed for clarity",
    "api:openapi-json": "the API's OpenAPI schema: documentation, no data",
    "api:api-root": "API root: answers 404 (there is no index page)",
    "api:reports_submit": "bearer-token API: 401 without a token",
    "api:statements_list": "bearer-token API: 401 without a token",
    "api:appeals_submit": "bearer-token API: 401 without a token",
    "api:subscriber_data_import": "bearer-token API: 401 without a token",
    "api:media_upload": "bearer-token API: 401 without a token",
    "api:media_detail": "bearer-token API: 401 without a token",
    "api:search_policy_feed": "bearer-token API: 401 without a token",
    "api:search_policy_public_key": "bearer-token API: 401 without a token",
    "transparency:moderation": "published moderation transparency reports (DSA Art. 15)",
    "transparency:moderation_report": "a published moderation transparency report",
    "transparency:moderation_csv": "a published moderation transparency report, CSV",
    "transparency:moderation_json": "a published moderation transparency report, JSON",
}

# The API is exempt from the login redirect: each URL's method and its anonymous answer.
API = {
    "api:openapi-json": ("get", 200),
    "api:api-root": ("get", 404),
    "api:reports_submit": ("post", 401),
    "api:statements_list": ("get", 401),
    "api:appeals_submit": ("post", 401),
    "api:subscriber_data_import": ("post", 401),
    "api:media_upload": ("post", 401),
    "api:media_detail": ("get", 401),
    "api:search_policy_feed": ("get", 401),
    "api:search_policy_public_key": ("get", 401),
}


def test_walk_finds_the_application_urls():
    names = {name for _, name in all_routes()}
    assert {"dashboard", "audit:events", "moderation:home", "disclosures:home"} <= names
    assert set(API) <= names
    assert len(names) > 20  # the admin's too


def test_every_api_url_is_listed_with_its_anonymous_answer():
    api_names = {name for route, name in all_routes() if route.startswith("api/")}
    assert api_names == set(API)
    assert set(API) <= set(PUBLIC)


@pytest.mark.parametrize(("route", "name"), all_routes())
def test_anonymous_visitors_are_sent_to_log_in(client, route, name):
    url = concrete_url(route)
    if name in API:
        method, status = API[name]
        response = getattr(client, method)(url)
        assert response.status_code == status, f"{name} ({url}) answered {response.status_code}"
        assert "Location" not in response
        return
    response = client.get(url)

    if name in PUBLIC:
        # A public page about one object (a published report) answers 404 for one that is not.
        about_an_object = {404} if "<" in route else set()
        assert response.status_code in {200, 302, 405, 503} | about_an_object, url
        return
    assert response.status_code == 302, f"{name} ({url}) answered {response.status_code}"
    location = response["Location"]
    assert location.startswith((reverse("accounts:login"), reverse("admin:login"))), location
