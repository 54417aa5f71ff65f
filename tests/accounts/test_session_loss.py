"""
Losing the session (or a form's token) in the middle of work: htmx requests load the login page
as a page and come back to where the user was; an expired form token gets a plain-language page.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts import session_policy
from accounts.roles import Role
from tests.utils import login_verified

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUEUE_FRAGMENT = "/moderation/?status=open"


def _next_of(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == reverse("accounts:login")
    return parse_qs(parts.query)["next"][0]


def test_an_htmx_request_without_a_session_sends_the_page_to_login_and_back():
    response = Client().get(
        QUEUE_FRAGMENT,
        headers={**HTMX, "HX-Current-URL": "http://testserver/moderation/cases/12/?tab=notes"},
    )

    assert response.status_code == 204
    assert response.content == b""  # no login form pasted into a panel
    assert _next_of(response["HX-Redirect"]) == "/moderation/cases/12/?tab=notes"
    assert response["X-Keep-Drafts"] == "1"


@pytest.mark.parametrize(
    "current",
    ["", "https://evil.example/phish", "//evil.example/x", "javascript:alert(1)"],
)
def test_the_way_back_after_login_never_leaves_the_site(current):
    headers = {**HTMX, "HX-Current-URL": current} if current else HTMX
    response = Client().get(QUEUE_FRAGMENT, headers=headers)

    assert response.status_code == 204
    assert _next_of(response["HX-Redirect"]) == "/"


def test_a_plain_request_without_a_session_keeps_the_ordinary_login_redirect():
    response = Client().get(QUEUE_FRAGMENT)

    assert response.status_code == 302
    assert _next_of(response["Location"]) == QUEUE_FRAGMENT
    assert "HX-Redirect" not in response


def test_an_expired_session_on_an_htmx_request_comes_back_to_the_page_with_a_warning(
    make_user, monkeypatch
):
    user = make_user(Role.MODERATOR)
    client = login_verified(Client(), user)
    now = [1_800_000_000.0]
    monkeypatch.setattr(session_policy, "_now", lambda: now[0])
    client.get(reverse("dashboard"))
    now[0] += 2 * 60 * 60  # far past the idle limit

    response = client.get(
        QUEUE_FRAGMENT, headers={**HTMX, "HX-Current-URL": "http://testserver/moderation/"}
    )

    assert response.status_code == 204
    assert _next_of(response["HX-Redirect"]) == "/moderation/"
    login_page = client.get(response["HX-Redirect"]).content.decode()
    assert 'class="message message-warning"' in login_page
    assert "Your session has expired" in login_page


def test_an_expired_form_token_gets_a_plain_page_not_django_s_technical_one(make_user):
    user = make_user(Role.MODERATOR)
    client = login_verified(Client(enforce_csrf_checks=True), user)

    response = client.post(reverse("accounts:logout"), {})

    body = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in body
    assert "CSRF verification failed" not in body
    assert "_auth_user_id" in client.session  # nothing happened: still signed in


def test_an_expired_form_token_on_an_htmx_request_reloads_the_page_keeping_drafts(make_user):
    user = make_user(Role.MODERATOR)
    client = login_verified(Client(enforce_csrf_checks=True), user)

    response = client.post(
        reverse("accounts:logout"),
        {},
        headers={**HTMX, "HX-Current-URL": "http://testserver/moderation/cases/7/"},
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/moderation/cases/7/"
    assert response["X-Keep-Drafts"] == "1"
    assert "_auth_user_id" in client.session


def test_every_page_carries_what_the_drafts_script_needs(make_user):
    client = login_verified(Client(), make_user(Role.MODERATOR))

    page = client.get(reverse("dashboard")).content.decode()

    assert "js/drafts.js" in page
    assert f'data-login-url="{reverse("accounts:login")}"' in page
    assert f'data-logout-url="{reverse("accounts:logout")}"' in page
