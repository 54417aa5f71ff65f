"""Search-result reports whose query hits a blocked term are tagged; the queue filters on it."""

from __future__ import annotations

import pytest
from django.test import TestCase

from accounts.roles import Role
from moderation.models import CaseSignal, Report
from search_policy import services
from search_policy.tagging import BLOCKED_TERM_SCORE
from tests.moderation.factories import make_case
from tests.search_policy.helpers import add_term, fresh_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-tag")


def search_case(query: str, **fields):
    """Intake, then its after-commit event (the tagging task runs eagerly in tests)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return make_case(
            subject__type="search_result",
            subject__chat_id="",
            subject__chat_kind="",
            subject__search_query=query,
            **fields,
        )


def test_a_report_whose_query_hits_a_term_gets_a_blocked_term_signal(senior):
    term = add_term(senior)

    case = search_case("C0NTR4BAND!")

    assert Report.objects.get(case=case).search_query == "C0NTR4BAND!"
    signal = CaseSignal.objects.get(case=case, kind="blocked_term")
    assert signal.name == f"term:{term.pk}"
    assert signal.detector == f"search_term:{term.pk}"
    assert signal.score == BLOCKED_TERM_SCORE


def test_an_exact_term_does_not_tag_a_longer_query_but_a_token_term_does(senior):
    add_term(senior, "contraband", match_type="exact")
    add_term(senior, "buy weapons", match_type="token")
    untagged = search_case("where to buy contraband")
    tagged = search_case("where to buy w3apons")
    assert not CaseSignal.objects.filter(case=untagged, kind="blocked_term").exists()
    assert CaseSignal.objects.filter(case=tagged, kind="blocked_term").exists()


def test_confidential_terms_are_labelled_without_the_term(senior):
    term = add_term(senior, "cp4sale", source="iwf")
    case = search_case("cp4sale")
    signal = CaseSignal.objects.get(case=case, kind="blocked_term")
    assert term.confidential
    assert "cp4sale" not in signal.label
    assert "cp4sale" not in str(signal.details)


def test_removed_terms_and_other_languages_tag_nothing(senior):
    gone = add_term(senior, "contraband")
    services.term_remove(
        actor=senior, term_id=gone.pk, reason="Too broad.", reauthenticated_at=fresh_now()
    )
    add_term(senior, "schmuggelware", languages=("de",))
    assert not CaseSignal.objects.filter(
        case=search_case("contraband"), kind="blocked_term"
    ).exists()
    assert not CaseSignal.objects.filter(
        case=search_case("schmuggelware", language="en"), kind="blocked_term"
    ).exists()
    assert CaseSignal.objects.filter(
        case=search_case("schmuggelware", language="de"), kind="blocked_term"
    ).exists()


def test_the_queue_filters_on_blocked_term_signals(senior, client_for):
    add_term(senior)
    tagged = search_case("contraband")
    other = make_case()

    page = client_for(senior).get("/moderation/", {"signal": "blocked_term"})

    assert page.status_code == 200
    body = page.content.decode()
    assert f"/moderation/cases/{tagged.pk}/" in body
    assert f"/moderation/cases/{other.pk}/" not in body


def test_tagging_reads_the_query_in_the_report_language(senior):
    add_term(senior, "waffenhändler", languages=("de",))
    add_term(senior, "sik", languages=("tr",))
    assert CaseSignal.objects.filter(
        case=search_case("WAFFENHAENDLER", language="de"), kind="blocked_term"
    ).exists()
    assert not CaseSignal.objects.filter(
        case=search_case("SIK", language="tr"), kind="blocked_term"
    ).exists()
    assert CaseSignal.objects.filter(
        case=search_case("SİK", language="tr"), kind="blocked_term"
    ).exists()
