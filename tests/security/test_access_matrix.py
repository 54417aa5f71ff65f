"""Every URL pattern × every role, checked against tests/security/access_matrix.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from tests.routes import all_routes
from tests.security.access_matrix import (
    FORBIDDEN,
    LOGIN,
    MATRIX,
    NOT_FOUND,
    OK,
    ROLES,
    UNAUTHORIZED,
)
from tests.security.matrix_urls import concrete_url, expected_row, route_key
from tests.utils import login_verified

pytestmark = pytest.mark.django_db

ROLE_OF = {
    "moderator": Role.MODERATOR,
    "senior": Role.SENIOR_MODERATOR,
    "legal": Role.LEGAL_OFFICER,
    "approver": Role.LEGAL_APPROVER,
    "auditor": Role.AUDITOR,
    "administrator": Role.ADMINISTRATOR,
}
_LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


def outcome(response: Any) -> str:
    status = response.status_code
    if status == 302:
        return LOGIN if response["Location"].startswith(_LOGIN_PAGES) else OK
    return {200: OK, 405: OK, 403: FORBIDDEN, 404: NOT_FOUND, 401: UNAUTHORIZED}.get(
        status, f"status {status}"
    )


def client_as(role: str, make_user) -> Client:
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        login_verified(client, make_user(ROLE_OF[role]))
    return client


def observe(client: Client, objects: dict[str, int]) -> dict[str, str]:
    """Each route's outcome for one client: route key → outcome."""
    seen = {}
    for route, name in all_routes():
        response = client.get(concrete_url(route, name, objects))
        seen[route_key(route, name)] = outcome(response)
    return seen


def test_every_url_has_a_row_for_every_role():
    missing = [
        route_key(route, name)
        for route, name in all_routes()
        if (row := expected_row(route, name)) is None or set(row) != set(ROLES)
    ]
    assert not missing, f"Decide who may see these URLs in access_matrix.py: {missing}"


def test_the_table_names_only_urls_that_exist():
    names = {route_key(route, name) for route, name in all_routes()}
    assert not set(MATRIX) - names, "rows for URLs that no longer exist"


def test_the_login_page_is_the_one_recognised():
    assert reverse("accounts:login") in _LOGIN_PAGES
    assert reverse("admin:login") in _LOGIN_PAGES


@pytest.mark.parametrize("role", ROLES)
def test_every_cell_of_the_matrix(role, objects, make_user):
    seen = observe(client_as(role, make_user), objects)

    wrong = {
        key: f"expected {row[role]}, got {seen[key]}"
        for route, name in all_routes()
        if (row := expected_row(route, name)) is not None
        and row[role] != seen[(key := route_key(route, name))]
    }
    assert not wrong, wrong
