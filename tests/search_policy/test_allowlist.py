"""Allowed terms: queries no blocked term may block, published first in the feed."""

from __future__ import annotations

import pytest
from django.test import TestCase

from accounts.roles import Role
from audit.models import AuditEvent
from core.errors import InvalidInput, NotPermitted
from moderation.models import CaseSignal
from search_policy import allowlist
from search_policy.models import AllowedTerm, PolicyChange
from search_policy.normalize import NORMALIZER_VERSION
from search_policy.tagging import terms_matching
from tests.moderation.factories import make_case
from tests.search_policy.helpers import FEED_URL, add_term, allow, feed_client, fresh, fresh_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-allow")


@pytest.fixture
def blocked(senior):
    """A blunt term the allowlist must temper, and a second one for laundering attempts."""
    add_term(senior, "breast", match_type="token")
    add_term(senior, "nudes", match_type="token")


def _hits(query: str, language: str = "") -> list[str]:
    return [t.term for t in terms_matching(query=query, language=language)]


@pytest.mark.parametrize(
    "query",
    [
        "breast cancer screening",
        "BREAST CANCER SCREENING",
        "  Breast   cancer screening!! ",
        "ｂｒｅａｓｔ ｃａｎｃｅｒ ｓｃｒｅｅｎｉｎｇ",  # full-width
        "brеast cancer screening",  # Cyrillic е
        "br3ast canc3r scr33ning",  # leet
        "breast cancer scr\u200been\u00ading",  # zero-width space, soft hyphen
    ],
)
def test_an_allowed_query_is_not_blocked_whatever_its_spelling(senior, blocked, query):
    assert _hits(query)  # blocked without the allowance
    allow(senior, "breast cancer screening")
    assert _hits(query) == []


@pytest.mark.parametrize(
    ("query", "hits"),
    [
        ("breast cancer screening nudes", ["breast", "nudes"]),  # appended: not the allowed query
        ("nudes breast cancer screening", ["breast", "nudes"]),
        ("breast", ["breast"]),
        ("breast cancer", ["breast"]),  # an exact allowance covers only the whole query
    ],
)
def test_an_allowed_phrase_does_not_launder_a_longer_query(senior, blocked, query, hits):
    allow(senior, "breast cancer screening")
    assert _hits(query) == hits


def test_a_prefix_allowance_covers_the_query_while_it_is_typed(senior, blocked):
    allow(senior, "breast cancer screening", match_type="prefix")
    assert _hits("breast canc") == []
    assert _hits("Breast Cancer Scr") == []
    assert _hits("breast cancer screening nudes") == ["breast", "nudes"]
    assert _hits("breast implants") == ["breast"]


def test_an_allowance_applies_within_its_language_scope(senior, blocked):
    allow(senior, "breast cancer screening", languages=("en",))
    assert _hits("breast cancer screening", language="en") == []
    assert _hits("breast cancer screening", language="de") == ["breast"]


def test_allowed_queries_are_not_tagged_and_removing_the_allowance_tags_again(senior, blocked):
    allowed = allow(senior, "breast cancer screening")

    def tagged(query: str) -> bool:
        with TestCase.captureOnCommitCallbacks(execute=True):
            case = make_case(
                subject__type="search_result",
                subject__chat_id="",
                subject__chat_kind="",
                subject__search_query=query,
            )
        return CaseSignal.objects.filter(case=case, kind="blocked_term").exists()

    assert not tagged("Breast cancer screening")
    assert tagged("breast cancer screening nudes")
    allowlist.allowed_term_remove(
        actor=senior, allowed_id=allowed.pk, reason="Misused.", reauthenticated_at=fresh_now()
    )
    assert tagged("Breast cancer screening")


def test_adding_and_removing_is_audited_without_the_reason_in_the_add(senior):
    allowed = allow(senior)
    assert (allowed.normalized, allowed.normalizer_version) == (
        "breastcancerscreening",
        NORMALIZER_VERSION,
    )
    added = AuditEvent.objects.get(action="search_policy.allowed_term_added")
    assert added.data == {"version": 1, "match_type": "exact"}
    allowlist.allowed_term_remove(
        actor=senior, allowed_id=allowed.pk, reason="Done.", reauthenticated_at=fresh_now()
    )
    removed = AuditEvent.objects.get(action="search_policy.allowed_term_removed")
    assert removed.data == {"version": 2, "reason": "Done."}
    with pytest.raises(allowlist.EntryNotActive):
        allowlist.allowed_term_remove(
            actor=senior, allowed_id=allowed.pk, reason="Again.", reauthenticated_at=fresh_now()
        )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"term": "..."}, "term", "no letters or digits"),
        ({"term": "bre"}, "term", "at least 4"),
        ({"match_type": "token"}, "match_type", "exact or prefix"),
        ({"reason": " "}, "reason", "never be blocked"),
        ({"languages": ("english",)}, "languages", "two-letter"),
        ({"term": "C0NTRABAND"}, "term", "Exactly this query is blocked"),
    ],
)
def test_bad_allowances_are_refused_and_nothing_is_written(senior, change, field, message):
    add_term(senior, "contraband")
    before = PolicyChange.objects.count()
    data = {"term": "breast cancer screening", "match_type": "exact", "reason": "Health.", **change}
    with pytest.raises(InvalidInput) as refused:
        allowlist.allowed_term_add(actor=senior, data=allowlist.AllowedTermInput(**data))
    assert message in " ".join(refused.value.errors[field])
    assert not AllowedTerm.objects.exists()
    assert PolicyChange.objects.count() == before


def test_the_same_allowance_twice_and_other_roles_are_refused(senior, make_user):
    allow(senior)
    with pytest.raises(InvalidInput):
        allow(senior, "Breast Cancer Screening")
    with pytest.raises(NotPermitted):
        allow(make_user(Role.MODERATOR), "colon cancer screening")
    assert AllowedTerm.objects.count() == 1


def test_the_feed_publishes_allowances_as_allow_entries(senior):
    allowed = allow(senior, "breast cancer screening", languages=("en",))
    allowlist.allowed_term_remove(
        actor=senior, allowed_id=allowed.pk, reason="Done.", reauthenticated_at=fresh_now()
    )
    body = feed_client().get(FEED_URL).json()
    added, removed = body["changes"]
    assert added["op"] == "add"
    assert added["entry"] == {
        "id": f"a_{allowed.pk}",
        "kind": "allowed_term",
        "action": "ALLOW",
        "normalized": "breastcancerscreening",
        "variants": [],
        "normalizer_version": NORMALIZER_VERSION,
        "match_type": "exact",
        "languages": ["en"],
        "countries": [],
    }
    assert removed == {
        "version": 2,
        "op": "remove",
        "entry": {"id": f"a_{allowed.pk}", "kind": "allowed_term"},
    }


def test_the_allowed_page_adds_lists_and_refuses_others(senior, client_for, make_user):
    client = fresh(client_for(senior))
    response = client.post(
        "/search-policy/allowed/new/",
        {
            "term": "breast cancer screening",
            "match_type": "exact",
            "languages": "",
            "countries": "",
            "reason": "Health.",
        },
    )
    assert response["Location"] == "/search-policy/allowed/"
    assert "breastcancerscreening" in client.get("/search-policy/allowed/").content.decode()
    refused = client.post(
        "/search-policy/allowed/new/",
        {"term": "bre", "match_type": "exact", "reason": "x"},
    )
    assert "at least 4" in refused.content.decode()
    moderator = client_for(make_user(Role.MODERATOR))
    assert moderator.get("/search-policy/allowed/").status_code == 403
    assert moderator.get("/search-policy/allowed/new/").status_code == 403
    assert AllowedTerm.objects.count() == 1


def test_the_allowed_page_runs_a_constant_number_of_queries(senior, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(senior)
    allow(senior, "alpha alpha")
    counts = []
    for round_ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/search-policy/allowed/").status_code == 200
            client.get("/search-policy/review/")
        counts.append(len(ctx.captured_queries))
        for word in ("bravo", "charlie", "delta"):
            allow(senior, f"{word} {round_}")
        AllowedTerm.objects.update(review_at="2000-01-01")
    assert counts[0] == counts[1]
