"""The groups' pages and the case-page panel: who sees them, what they say, how they scale."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from moderation.models import Case, Decision, Statement
from moderation.services import bulk, claims, decisions
from signals.models import DuplicateGroup, DuplicateMember
from signals.neardup import selectors
from signals.neardup.services import reports_group
from tests.moderation.factories import violation
from tests.signals.neardup.helpers import AIRDROP, AIRDROP_COPIES, family, report_ids, text_case

pytestmark = pytest.mark.django_db

LIST = reverse("signals:groups")


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-nd")


@pytest.fixture
def senior_client(senior, client_for):
    return client_for(senior)


def _group(texts: list[str]) -> tuple[DuplicateGroup, list[Case]]:
    cases = [text_case(t) for t in texts]
    reports_group(report_ids=report_ids(*cases))
    groups = set(DuplicateMember.objects.filter(case__in=cases).values_list("group", flat=True))
    assert len(groups) == 1, "the texts should make exactly one group"
    return DuplicateGroup.objects.get(pk=groups.pop()), cases


def _bulk_case_ids(url: str) -> list[int]:
    return [int(pk) for pk in parse_qs(urlsplit(url).query)["case"]]


# The list


def test_list_shows_groups_largest_first_with_open_counts(moderator_client, moderator):
    small, _ = _group(family(2, "alpha"))
    large, cases = _group(family(4, "bravo"))
    claims.case_claim(case_id=cases[0].pk, actor=moderator)

    response = moderator_client.get(LIST)

    assert response.status_code == 200
    page = response.context["page"]
    assert [g.pk for g in page.groups] == [large.pk, small.pk]
    assert (page.groups[0].open_count, page.groups[1].open_count) == (3, 2)
    nav = moderator_client.get(reverse("dashboard")).content.decode()
    assert f'href="{LIST}"' in nav  # the "Near-duplicates" entry of the main navigation


def test_list_filters_by_kind_and_pages_by_keyset(moderator_client, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    groups = [
        _group(family(n, word))[0] for n, word in ((2, "alpha"), (3, "bravo"), (4, "charlie"))
    ]

    first = moderator_client.get(LIST, {"kind": "text"}).context["page"]
    second = moderator_client.get(LIST, {"kind": "text", "cursor": first.next_cursor}).context[
        "page"
    ]

    assert [g.pk for g in first.groups] == [groups[2].pk, groups[1].pk]
    assert [g.pk for g in second.groups] == [groups[0].pk]
    assert second.next_cursor == ""
    assert moderator_client.get(LIST, {"kind": "image"}).context["page"].groups == []


def test_list_ignores_a_bad_kind_or_cursor(moderator_client):
    _group(family(2, "alpha"))

    for params in ({"kind": "<script>"}, {"cursor": "x-y"}, {"cursor": "9" * 60}):
        response = moderator_client.get(LIST, params)
        assert response.status_code == 200
        assert len(response.context["page"].groups) == 1


def test_list_htmx_returns_the_table_region(moderator_client):
    _group(family(2, "alpha"))

    response = moderator_client.get(LIST, {"kind": "text"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="group-table">')
    assert "<h1>" not in body


def test_list_query_count_does_not_grow(moderator_client, django_assert_num_queries):
    _group(family(2, "alpha"))
    with CaptureQueriesContext(connection) as small:
        moderator_client.get(LIST)
    for n, word in ((3, "bravo"), (5, "charlie"), (4, "delta")):
        _group(family(n, word))
    with django_assert_num_queries(len(small.captured_queries)):
        response = moderator_client.get(LIST)
    assert len(response.context["page"].groups) == 4


def test_pages_are_for_those_who_work_the_queue(make_user, client_for):
    group, _ = _group(family(2, "alpha"))
    legal = client_for(make_user(Role.LEGAL_OFFICER))
    auditor = client_for(make_user(Role.AUDITOR))

    for client in (legal, auditor):
        assert client.get(LIST).status_code == 403
        assert client.get(reverse("signals:group", args=[group.pk])).status_code == 403


# One group


def test_group_page_lists_members_with_escaped_isolated_text(moderator_client):
    hostile = "<script>alert(1)</script> \u202eevil " + AIRDROP
    group, cases = _group([hostile, AIRDROP_COPIES[1]])

    response = moderator_client.get(reverse("signals:group", args=[group.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert 'data-char="U+202E"' in body
    for case in cases:
        assert reverse("moderation:case", args=[case.pk]) in body
    assert "Decide for the group" not in body  # moderators may not bulk-decide


def test_group_page_of_a_missing_group_is_404(moderator_client):
    assert moderator_client.get(reverse("signals:group", args=[999_999])).status_code == 404


def test_group_page_of_a_merged_group_redirects_to_the_survivor(moderator_client):
    older, _ = _group(family(2, "alpha"))
    younger, _ = _group(family(2, "bravo"))
    DuplicateGroup.objects.filter(pk=younger.pk).update(merged_into=older, size=0)

    response = moderator_client.get(reverse("signals:group", args=[younger.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("signals:group", args=[older.pk])


def test_senior_gets_decide_for_the_group_with_open_cases_only(senior_client, senior):
    group, cases = _group(family(4, "alpha"))
    claims.case_claim(case_id=cases[0].pk, actor=senior)
    decisions.case_decide(case_id=cases[0].pk, actor=senior, decision=violation())
    claims.case_claim(case_id=cases[1].pk, actor=senior)

    response = senior_client.get(reverse("signals:group", args=[group.pk]))

    summary = response.context["summary"]
    assert sorted(_bulk_case_ids(summary.bulk_url)) == sorted(c.pk for c in cases[2:])
    assert (len(summary.open_ids), summary.decided, summary.in_progress) == (2, 1, 1)
    body = response.content.decode()
    assert "Decide for the group" in body
    assert "2 open" in body
    assert "1 already decided" in body


def test_deciding_for_the_group_gives_each_case_its_own_decision_and_statement(
    senior, django_capture_on_commit_callbacks
):
    group, cases = _group(family(3, "alpha"))
    summary = selectors.group_summary(group=group)

    with django_capture_on_commit_callbacks(execute=True):  # the job runs eagerly on commit
        bulk.bulk_job_start(
            actor=senior,
            case_ids=_bulk_case_ids(summary.bulk_url),
            filters=None,
            decision=violation(),
        )

    for case in cases:
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED
        decision = Decision.objects.get(case=case)
        assert decision.origin == "bulk"
        assert Statement.objects.filter(decision=decision).count() == 1
    assert selectors.group_summary(group=group).open_ids == []


# The case page


def test_case_page_shows_the_group_and_the_other_cases(senior_client):
    group, cases = _group(family(3, "alpha"))

    response = senior_client.get(reverse("moderation:case", args=[cases[0].pk]))

    body = response.content.decode()
    assert 'id="near-duplicates"' in body
    assert f'data-group="{group.pk}"' in body
    for other in cases[1:]:
        assert reverse("moderation:case", args=[other.pk]) in body
    assert "Decide for the group" in body
    assert "3 open" in body


def test_case_page_without_a_group_has_no_panel(moderator_client):
    case = text_case(AIRDROP)

    body = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    assert 'id="near-duplicates"' not in body


def test_case_panel_moderator_sees_no_bulk_link(moderator_client):
    _, cases = _group(family(2, "alpha"))

    body = moderator_client.get(reverse("moderation:case", args=[cases[0].pk])).content.decode()

    assert 'id="near-duplicates"' in body
    assert "Decide for the group" not in body


def test_case_groups_query_count_is_constant(django_assert_num_queries):
    _, small = _group(family(2, "alpha"))
    _, large = _group(family(14, "bravo"))  # more than PANEL_ROWS

    with django_assert_num_queries(3):
        [summary] = selectors.case_groups(case_id=small[0].pk)
    assert len(summary.others) == 1
    with django_assert_num_queries(3):
        [summary] = selectors.case_groups(case_id=large[0].pk)
    assert len(summary.others) == selectors.PANEL_ROWS
    assert len(summary.open_ids) == 14


def test_case_page_and_group_page_query_counts_do_not_grow(senior_client):
    small_group, small = _group(family(2, "alpha"))
    large_group, large = _group(family(14, "bravo"))

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert senior_client.get(url).status_code == 200
        return len(queries.captured_queries)

    case_page = "moderation:case"
    assert count(reverse(case_page, args=[small[0].pk])) == count(
        reverse(case_page, args=[large[0].pk])
    )
    assert count(reverse("signals:group", args=[small_group.pk])) == count(
        reverse("signals:group", args=[large_group.pk])
    )
