"""Intake accepts `subject.search_query` for search-result reports (at most 256 characters)."""

from __future__ import annotations

import pytest

from accounts.token_services import api_token_issue
from moderation.models import Report
from tests.api.conftest import REPORTS_URL, ApiClient
from tests.api.payloads import report_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> ApiClient:
    _, secret = api_token_issue(name="platform-intake-sp", scopes=["reports"])
    return ApiClient(secret)


def search_report(**subject):
    return report_json(
        subject__type="search_result", subject__chat_id=None, subject__chat_kind=None, **subject
    )


def test_a_search_result_report_stores_its_query(api):
    response = api.post(REPORTS_URL, search_report(subject__search_query="c0ntraband shop"))
    assert response.status_code == 201, response.json()
    assert Report.objects.get().search_query == "c0ntraband shop"


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ({"subject__search_query": "x" * 257}, "256"),
        ({"subject__search_query": 42}, "string"),
    ],
)
def test_bad_queries_are_refused_and_nothing_is_stored(api, subject, message):
    response = api.post(REPORTS_URL, search_report(**subject))
    assert response.status_code == 422
    assert "subject.search_query" in response.content.decode()
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_a_query_on_another_subject_type_is_refused(api):
    response = api.post(REPORTS_URL, report_json(subject__search_query="contraband"))
    assert response.status_code == 422
    assert "search_result" in response.content.decode()
    assert not Report.objects.exists()
