from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.tokens import ApiToken
from api_core.ratelimit import RATE_WINDOW_SECONDS, RateLimited, api_rate_limit_check
from moderation.models import Report
from tests.api.conftest import REPORTS_URL, STATEMENTS_URL
from tests.api.payloads import report_json

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_limit(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    cache.clear()
    yield
    cache.clear()


def test_rate_limit_answers_429_with_a_message_past_the_limit(make_api_client):
    client = make_api_client("statements")

    answers = [client.get(STATEMENTS_URL).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    response = client.get(STATEMENTS_URL)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert "Too many requests" in response.json()["detail"]


def test_rate_limit_refused_request_stores_nothing(make_api_client):
    client = make_api_client("reports")
    for _ in range(3):
        client.get(STATEMENTS_URL)  # out of scope (403), but counted all the same
    before = Report.objects.count()

    response = client.post(REPORTS_URL, report_json())

    assert response.status_code == 429
    assert Report.objects.count() == before


def test_rate_limit_is_per_token(make_api_client):
    first, second = make_api_client("statements"), make_api_client("statements")
    for _ in range(3):
        first.get(STATEMENTS_URL)

    assert first.get(STATEMENTS_URL).status_code == 429
    assert second.get(STATEMENTS_URL).status_code == 200


def test_rate_limit_window_resets_and_retry_after_counts_to_its_end(issue_token):
    issue_token("statements")
    token = ApiToken.objects.get()
    start = 1_000 * RATE_WINDOW_SECONDS + 0.5
    for _ in range(3):
        api_rate_limit_check(token=token, now=start)

    with pytest.raises(RateLimited) as refused:
        api_rate_limit_check(token=token, now=start + 15)
    api_rate_limit_check(token=token, now=start + RATE_WINDOW_SECONDS)

    assert refused.value.status == 429
    assert refused.value.retry_after == RATE_WINDOW_SECONDS - 15


def test_rate_limit_sends_retry_after(make_api_client):
    client = make_api_client("statements")
    for _ in range(3):
        client.get(STATEMENTS_URL)

    response = client.get(STATEMENTS_URL)

    assert int(response["Retry-After"]) in range(1, RATE_WINDOW_SECONDS + 1)
