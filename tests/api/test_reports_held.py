"""The API's answer for a held report: the case it was stored on (or none), and why held."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from moderation.models import Report
from tests.api.conftest import REPORTS_URL
from tests.api.payloads import report_json
from tests.moderation.flood_helpers import cleared_subject, muted_reporter

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="api-senior")


def test_the_api_says_a_report_was_held_and_gives_no_case_when_there_is_none(api, senior):
    muted_reporter("api-bad-faith", senior)

    response = api.post(
        REPORTS_URL, report_json(reporter_id="api-bad-faith", subject__platform_id="api-new-1")
    )

    assert response.status_code == 201, response.json()
    report = Report.objects.get(subject__platform_id="api-new-1")
    assert response.json() == {
        "id": report.pk,
        "case_id": None,
        "status": "created",
        "held": "muted_reporter",
    }


def test_the_api_names_the_cleared_case_a_report_was_held_on(api, moderator):
    case = cleared_subject(moderator, "api-cleared-1")

    response = api.post(
        REPORTS_URL,
        report_json(
            subject__platform_id="api-cleared-1", subject__author_id="author-of-api-cleared-1"
        ),
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["case_id"], response.json()["held"]) == (case.pk, "cleared_recently")
