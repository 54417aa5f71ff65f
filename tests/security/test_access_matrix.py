"""Every URL pattern × every role, checked against tests/security/access_matrix.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from audit import services as audit
from audit.log import seal_and_checkpoint
from moderation.models import BulkJob
from moderation.services import claims, decisions
from moderation.services.appeals import AppealInput, appeal_submit
from tests.disclosures.factories import make_authority, make_request
from tests.moderation.factories import make_case, violation
from tests.security.access_matrix import (
    ADMIN_NAMESPACE,
    FORBIDDEN,
    LOGIN,
    MATRIX,
    NOT_FOUND,
    OK,
    ROLES,
    UNAUTHORIZED,
    admin_row,
)
from tests.test_urls import _concrete, all_routes
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
MISSING_PACKAGE_ID = 999_999


def _is_admin(route: str, name: str | None) -> bool:
    return route.startswith("admin/") or (name or "").startswith(ADMIN_NAMESPACE)


def _key(route: str, name: str | None) -> str:
    return name or route


def expected_row(route: str, name: str | None) -> dict[str, str] | None:
    if _is_admin(route, name):
        return admin_row(_key(route, name))
    return MATRIX.get(_key(route, name))


@pytest.fixture
def objects(make_user) -> dict[str, int]:
    """One object of each kind a URL names; returns URL keyword → primary key."""
    moderator = make_user(Role.MODERATOR)
    senior = make_user(Role.SENIOR_MODERATOR)
    legal = make_user(Role.LEGAL_OFFICER)
    case = make_case()
    decided = make_case()
    claims.case_claim(case_id=decided.pk, actor=moderator)
    decision = decisions.case_decide(case_id=decided.pk, actor=moderator, decision=violation())
    appeal, _ = appeal_submit(
        item=AppealInput(
            external_id="matrix-appeal",
            decision_puid=f"tsd-{decision.uuid}",
            appellant_id=decided.subject.author.platform_id,
            reason="It was a joke.",
            submitted_at=timezone.now(),
        )
    )
    job = BulkJob.objects.create(created_by=senior, case_ids=[case.pk], decision_template={})
    request = make_request(created_by=legal)
    event = audit.record(action="test.matrix", target=case)
    checkpoint = seal_and_checkpoint()  # so that the event has an inclusion proof
    device = TOTPDevice.objects.create(user=legal, name="matrix", confirmed=True)
    return {
        "case_id": case.pk,
        "report_id": case.reports.first().pk,
        "appeal_id": appeal.pk,
        "job_id": job.pk,
        "request_id": request.pk,
        "authority_id": make_authority().pk,
        "account_id": request.targets.first().account.pk,
        "event_id": event.pk,
        "package_id": MISSING_PACKAGE_ID,
        "pk": device.pk,  # django-otp's admin views for a TOTP device
        "tree_size": checkpoint.tree_size,
    }


# Query strings some URLs need to answer at all.
QUERIES = {"audit:consistency_proof": "?from={tree_size}&to={tree_size}"}


def concrete_url(route: str, name: str | None, objects: dict[str, int]) -> str:
    route = re.sub(
        r"<int:(\w+)>",
        lambda m: str(objects[m.group(1)]) if m.group(1) in objects else m.group(0),
        route,
    )
    return _concrete(route) + QUERIES.get(name or "", "").format(**objects)


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
        seen[_key(route, name)] = outcome(response)
    return seen


def test_every_url_has_a_row_for_every_role():
    missing = [
        _key(route, name)
        for route, name in all_routes()
        if (row := expected_row(route, name)) is None or set(row) != set(ROLES)
    ]
    assert not missing, f"Decide who may see these URLs in access_matrix.py: {missing}"


def test_the_table_names_only_urls_that_exist():
    names = {_key(route, name) for route, name in all_routes()}
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
        and row[role] != seen[(key := _key(route, name))]
    }
    assert not wrong, wrong
