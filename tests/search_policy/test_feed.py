"""GET /api/v1/search-policy: versioned increments, pagination, ETag/304, the token scope."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from accounts.token_services import api_token_issue
from search_policy import services
from search_policy.normalize import NORMALIZER_VERSION
from tests.api.conftest import ApiClient
from tests.search_policy.helpers import FEED_URL, add_term, delist, fresh_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-feed")


def make_api_client(*scopes: str) -> ApiClient:
    _, secret = api_token_issue(name=f"platform-{'-'.join(scopes)}", scopes=list(scopes))
    return ApiClient(secret)


@pytest.fixture
def platform() -> ApiClient:
    return make_api_client("search_policy")


def test_feed_lists_additions_then_removals_with_increasing_versions(platform, senior):
    term = add_term(senior)
    entity = delist(senior, platform_id="chan-fake")
    services.term_remove(
        actor=senior, term_id=term.pk, reason="False positives.", reauthenticated_at=fresh_now()
    )

    answer = platform.get(FEED_URL)

    assert answer.status_code == 200
    body = answer.json()
    assert body["to"] == 3
    assert body["normalizer_version"] == NORMALIZER_VERSION == 2
    assert body["next_cursor"] is None
    assert [(c["version"], c["op"], c["entry"]["id"]) for c in body["changes"]] == [
        (1, "add", f"t_{term.pk}"),
        (2, "add", f"e_{entity.pk}"),
        (3, "remove", f"t_{term.pk}"),
    ]
    added_term = body["changes"][0]["entry"]
    assert added_term["normalized"] == "contraband"
    assert added_term["match_type"] == "exact"
    assert "term" not in added_term
    assert "reason" not in added_term
    assert body["changes"][1]["entry"]["platform_id"] == "chan-fake"
    assert body["changes"][2]["entry"] == {"id": f"t_{term.pk}", "kind": "query_term"}


def test_since_returns_only_the_later_changes(platform, senior):
    add_term(senior, "first")
    add_term(senior, "second")
    third = add_term(senior, "third")

    body = platform.get(FEED_URL, {"since": 2}).json()

    assert [c["version"] for c in body["changes"]] == [3]
    assert body["changes"][0]["entry"]["id"] == f"t_{third.pk}"
    assert body["from"] == 2
    assert platform.get(FEED_URL, {"since": 3}).json()["changes"] == []


def test_pages_follow_the_cursor_and_stay_at_one_version(platform, senior):
    for word in ("alpha", "bravo", "charlie", "delta", "echo"):
        add_term(senior, word)
    first = platform.get(FEED_URL, {"limit": 2}).json()
    add_term(senior, "foxtrot")  # arrives mid-sync: the next sync gets it

    seen = [c["version"] for c in first["changes"]]
    cursor = first["next_cursor"]
    while cursor:
        page = platform.get(FEED_URL, {"limit": 2, "cursor": cursor}).json()
        assert page["to"] == 5
        seen += [c["version"] for c in page["changes"]]
        cursor = page["next_cursor"]

    assert seen == [1, 2, 3, 4, 5]
    assert [c["version"] for c in platform.get(FEED_URL, {"since": 5}).json()["changes"]] == [6]


def test_etag_is_the_latest_version_and_if_none_match_answers_304(platform, senior):
    add_term(senior)
    answer = platform.get(FEED_URL)
    assert answer["ETag"] == '"1"'

    again = platform.client.get(FEED_URL, headers={**platform._headers(), "If-None-Match": '"1"'})
    assert again.status_code == 304
    assert again.content == b""

    delist(senior)
    changed = platform.client.get(FEED_URL, headers={**platform._headers(), "If-None-Match": '"1"'})
    assert changed.status_code == 200
    assert changed["ETag"] == '"2"'


def test_a_token_without_the_scope_is_refused_and_none_is_unauthorized():
    assert make_api_client("reports", "statements").get(FEED_URL).status_code == 403
    assert ApiClient(None).get(FEED_URL).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": -1}, "since"),
        ({"since": "x"}, "since"),
        ({"cursor": "!!bad"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
    ],
)
def test_bad_queries_get_422_not_500(platform, params, field):
    answer = platform.get(FEED_URL, params)
    assert answer.status_code == 422
    assert field in answer.content.decode()


def test_the_feed_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/search-policy"]["get"]
    assert "search_policy" in operation["description"]
    assert operation["security"] == [{"ApiTokenAuth": ["search_policy"]}]
    assert {"200", "304", "401", "403", "422"} <= set(operation["responses"])


def test_feed_query_count_does_not_grow_with_the_changes(
    platform, senior, django_assert_max_num_queries
):
    add_term(senior, "one")
    delist(senior)
    with django_assert_max_num_queries(8) as few:
        platform.get(FEED_URL)
    for word in ("two", "three", "four", "five"):
        add_term(senior, word)
    for _ in range(4):
        delist(senior)
    with django_assert_max_num_queries(len(few.captured_queries)):
        platform.get(FEED_URL)


def test_a_term_publishes_its_language_variants(platform, senior):
    add_term(senior, "Waffenhändler", languages=("de",))
    [change] = platform.get(FEED_URL).json()["changes"]
    assert change["entry"]["normalized"] == "waffenhandler"
    assert change["entry"]["variants"] == ["waffenhaendler"]
    assert change["entry"]["normalizer_version"] == NORMALIZER_VERSION
