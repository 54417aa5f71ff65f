"""The search policy pages: senior moderators only; adding and removing is audited."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from search_policy.models import BlockedTerm, DelistedEntity, PolicyChange
from search_policy.normalize import NORMALIZER_VERSION
from tests.search_policy.helpers import add_term, delist, fresh

pytestmark = pytest.mark.django_db

TERM = {
    "term": "c0ntraband",
    "match_type": "exact",
    "category": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "source": "internal",
    "languages": "en, de",
    "countries": "",
    "reason": "Returns illegal offers.",
}


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-pages")


@pytest.fixture
def senior_client(senior, client_for):
    return fresh(client_for(senior))


def test_a_senior_blocks_a_term_and_it_is_audited(senior_client):
    response = senior_client.post("/search-policy/terms/new/", TERM)

    assert response.status_code == 302
    term = BlockedTerm.objects.get()
    assert (term.normalized, term.languages, term.normalizer_version) == (
        "contraband",
        ["de", "en"],
        NORMALIZER_VERSION,
    )
    event = AuditEvent.objects.get(action="search_policy.term_added")
    assert "c0ntraband" not in str(event.data)  # licensed terms stay out of the trail
    assert PolicyChange.objects.get().term_id == term.pk


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"term": "!!!"}, "no letters or digits"),
        ({"term": "abc", "match_type": "prefix"}, "at least 4"),
        ({"reason": ""}, "This field is required"),
        ({"languages": "english"}, "two-letter"),
        ({"match_type": "regex"}, "Select a valid choice"),
    ],
)
def test_bad_terms_are_refused_with_a_message_and_nothing_is_stored(senior_client, change, message):
    response = senior_client.post("/search-policy/terms/new/", {**TERM, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BlockedTerm.objects.exists()
    assert not PolicyChange.objects.exists()


def test_the_same_term_twice_is_refused(senior, senior_client):
    add_term(senior, "contraband")
    response = senior_client.post("/search-policy/terms/new/", TERM)
    assert "already blocked" in response.content.decode()
    assert BlockedTerm.objects.count() == 1


def test_removing_a_term_needs_a_reason_and_is_audited(senior, senior_client):
    term = add_term(senior)
    url = f"/search-policy/terms/{term.pk}/remove/"

    senior_client.post(url, {"reason": ""})
    term.refresh_from_db()
    assert term.active

    senior_client.post(url, {"reason": "Too many false positives."})
    term.refresh_from_db()
    assert not term.active
    assert term.removed_by_id == senior.pk
    assert AuditEvent.objects.filter(action="search_policy.term_removed").count() == 1
    second = senior_client.post(url, {"reason": "Again."}, follow=True)
    assert "already been removed" in second.content.decode()


def test_a_senior_delists_and_relists_an_entity(senior, senior_client):
    senior_client.post(
        "/search-policy/entities/new/",
        {
            "entity_type": "bot",
            "platform_id": "bot-77",
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "reason": "Phishing.",
        },
    )
    entity = DelistedEntity.objects.get()
    senior_client.post(f"/search-policy/entities/{entity.pk}/relist/", {"reason": "Cleaned up."})
    entity.refresh_from_db()
    assert not entity.active
    assert list(PolicyChange.objects.order_by("version").values_list("op", flat=True)) == [
        "add",
        "remove",
    ]
    assert AuditEvent.objects.filter(action__startswith="search_policy.entity_").count() == 2


def test_an_expiry_in_the_past_is_refused(senior_client):
    response = senior_client.post(
        "/search-policy/entities/new/",
        {
            "entity_type": "bot",
            "platform_id": "bot-1",
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "reason": "x",
            "expires_at": "2000-01-01 00:00",
        },
    )
    assert "must be in the future" in response.content.decode()
    assert not DelistedEntity.objects.exists()


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.LEGAL_OFFICER, Role.AUDITOR])
def test_other_roles_can_neither_see_nor_change_the_policy(role, senior, make_user, client_for):
    term = add_term(senior)
    entity = delist(senior)
    client = client_for(make_user(role))
    for url in (
        "/search-policy/",
        "/search-policy/entities/",
        "/search-policy/review/",
        "/search-policy/terms/new/",
    ):
        assert client.get(url).status_code == 403
    assert client.post("/search-policy/terms/new/", TERM).status_code == 403
    assert (
        client.post(f"/search-policy/terms/{term.pk}/remove/", {"reason": "x"}).status_code == 403
    )
    assert (
        client.post(f"/search-policy/entities/{entity.pk}/relist/", {"reason": "x"}).status_code
        == 403
    )
    assert BlockedTerm.objects.get().active
    assert DelistedEntity.objects.get().active


def test_lists_filter_and_show_the_review_due(senior, senior_client):
    add_term(senior, "alpha", source="lantern")
    add_term(senior, "bravo")
    BlockedTerm.objects.filter(term="bravo").update(review_at="2000-01-01")
    body = senior_client.get("/search-policy/", {"source": "lantern"}).content.decode()
    assert "alpha" in body
    assert "bravo" not in body
    review = senior_client.get("/search-policy/review/").content.decode()
    assert "bravo" in review
    assert "alpha" not in review


def test_list_pages_run_a_constant_number_of_queries(
    senior, senior_client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add_term(senior, "one")
    delist(senior)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            senior_client.get("/search-policy/")
            senior_client.get("/search-policy/entities/")
            senior_client.get("/search-policy/review/")
        counts.append(len(ctx.captured_queries))
        for word in ("two", "three", "four"):
            add_term(senior, f"{word}{len(counts)}")
            delist(senior)
        BlockedTerm.objects.update(review_at="2000-01-01")
        DelistedEntity.objects.update(review_at="2000-01-01")
    assert counts[0] == counts[1]
