from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from moderation.exceptions import CaseAlreadyClaimed, NotAllowed
from moderation.models import Case, CaseSignal, Category, ModeratorProfile
from moderation.selectors.queue import QueueFilters, queue_page
from moderation.services import claims
from tests.moderation.factories import make_case
from tests.utils import race, race_errors, race_outcomes, requires_postgres

pytestmark = pytest.mark.django_db

URL = reverse("moderation:home")


def _walk(filters: QueueFilters, size: int) -> list[int]:
    seen, cursor = [], None
    for _ in range(100):
        page = queue_page(filters=filters, cursor=cursor, size=size)
        seen += [c.pk for c in page.cases]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


def test_keyset_pages_visit_every_case_once_in_priority_order():
    cases = [
        make_case(category=code)
        for code in ["spam", "spam", "spam", "weapons", "terrorism", "other"] * 3
    ]

    seen = _walk(QueueFilters(), size=4)

    assert sorted(seen) == sorted(c.pk for c in cases)
    ordered = sorted(Case.objects.filter(pk__in=seen), key=lambda c: (-c.priority, c.pk))
    assert seen == [c.pk for c in ordered]


def test_age_order_walks_oldest_first():
    cases = [make_case() for _ in range(7)]

    assert _walk(QueueFilters(order="age"), size=3) == [c.pk for c in cases]


def test_filters_by_category_source_type_language_and_deadline():
    spam = make_case(category="spam", language="fa")
    flagged = make_case(
        category="weapons", source="trusted_flagger", subject__type="channel", subject__chat_id=""
    )
    overdue = make_case(category="other", language="de")
    Case.objects.filter(pk=overdue.pk).update(deadline_at=timezone.now() - timedelta(hours=1))

    def ids(**kw):
        return {c.pk for c in queue_page(filters=QueueFilters(**kw)).cases}

    assert ids(categories=(spam.category_id,)) == {spam.pk}
    assert ids(sources=("trusted_flagger",)) == {flagged.pk}
    assert ids(subject_types=("channel",)) == {flagged.pk}
    assert ids(languages=("fa",)) == {spam.pk}
    assert ids(deadline="overdue") == {overdue.pk}
    assert overdue.pk not in ids(deadline="on_time")


def test_queue_defaults_to_the_moderators_languages_and_categories(moderator, moderator_client):
    farsi = make_case(language="fa")
    make_case(language="en")
    ModeratorProfile.objects.create(user=moderator, languages=["fa"])

    response = moderator_client.get(URL)

    assert [c.pk for c in response.context["page"].cases] == [farsi.pk]
    assert response.context["routed"]
    everything = moderator_client.get(URL, {"status": "open"})
    assert len(everything.context["page"].cases) == 2


def test_bad_filters_show_errors_not_a_crash(moderator_client):
    make_case()
    for params in (
        {"status": "nope"},
        {"category": "999999"},
        {"language": "1; DROP"},
        {"cursor": "x_y"},
    ):
        response = moderator_client.get(URL, params)
        assert response.status_code == 200
        assert response.context["form"].errors


def test_queue_page_query_count_does_not_grow(moderator_client):
    make_case()
    moderator_client.get(URL)
    with CaptureQueriesContext(connection) as small:
        moderator_client.get(URL)
    for _ in range(30):
        make_case(category="weapons")
    with CaptureQueriesContext(connection) as large:
        response = moderator_client.get(URL)
    assert len(response.context["page"].cases) == 25
    assert len(large.captured_queries) == len(small.captured_queries)


def test_deep_page_costs_the_same_queries_as_the_first(moderator_client):
    for _ in range(60):
        make_case()
    first = moderator_client.get(URL, {"status": "open"})
    with CaptureQueriesContext(connection) as q1:
        moderator_client.get(URL, {"status": "open"})
    cursor = first.context["page"].next_cursor
    with CaptureQueriesContext(connection) as q2:
        second = moderator_client.get(URL, {"status": "open", "cursor": cursor})
    assert len(second.context["page"].cases) == 25
    assert len(q2.captured_queries) <= len(q1.captured_queries) + 1  # at most the second range


def test_htmx_filter_returns_only_the_table(moderator_client):
    make_case()
    response = moderator_client.get(URL, {"status": "open"}, headers={"HX-Request": "true"})
    assert b'id="queue-table"' in response.content
    assert b"<html" not in response.content


def test_claim_gives_the_case_and_records_it(moderator, other_moderator):
    case = make_case()

    claims.case_claim(case_id=case.pk, actor=moderator)

    case.refresh_from_db()
    assert (case.status, case.claimed_by) == (Case.Status.CLAIMED, moderator)
    assert AuditEvent.objects.filter(action="case.claimed", target_id=str(case.pk)).count() == 1
    with pytest.raises(CaseAlreadyClaimed):
        claims.case_claim(case_id=case.pk, actor=other_moderator)


def test_expired_claim_can_be_taken_and_expiry_returns_case(moderator, other_moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    Case.objects.filter(pk=case.pk).update(claim_expires_at=timezone.now() - timedelta(minutes=1))

    assert claims.claims_expire() == 1
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert AuditEvent.objects.filter(action="case.claim_expired").exists()
    claims.case_claim(case_id=case.pk, actor=other_moderator)


def test_claim_next_takes_the_most_urgent(moderator):
    make_case(category="spam")
    urgent = make_case(category="terrorism")

    assert claims.case_claim_next(actor=moderator, filters=QueueFilters()).pk == urgent.pk


def test_escalated_case_only_for_seniors(moderator, senior):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    claims.case_escalate(case_id=case.pk, actor=moderator, to="senior", note="second opinion")

    with pytest.raises(NotAllowed):
        claims.case_claim(case_id=case.pk, actor=moderator)
    claims.case_claim(case_id=case.pk, actor=senior)
    claims.case_release(case_id=case.pk, actor=senior)
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED


def test_views_claim_release_and_claim_next(moderator_client, moderator):
    case = make_case()
    response = moderator_client.post(reverse("moderation:claim_next"))
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:case", args=[case.pk])
    assert (
        moderator_client.post(reverse("moderation:case_release", args=[case.pk])).status_code == 302
    )
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert moderator_client.post(reverse("moderation:case_claim", args=[999999])).status_code == 404
    assert moderator_client.get(reverse("moderation:claim_next")).status_code == 405


def test_legal_staff_cannot_reach_the_queue(make_user, client_for):
    from accounts.roles import Role

    legal = client_for(make_user(Role.LEGAL_OFFICER))
    assert legal.get(URL).status_code == 403
    assert legal.post(reverse("moderation:claim_next")).status_code == 403


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claim_next_never_gives_one_case_twice(make_user):
    from accounts.roles import Role

    moderators = [make_user(Role.MODERATOR) for _ in range(6)]
    for _ in range(4):
        make_case()
    results = race(
        *[lambda u=u: claims.case_claim_next(actor=u, filters=QueueFilters()) for u in moderators]
    )
    errors = race_errors(results)
    got = [case.pk if case else None for case in results if not isinstance(case, BaseException)]

    assert errors == []
    claimed = [pk for pk in got if pk]
    assert len(claimed) == 4
    assert len(set(claimed)) == 4  # nobody got a case twice
    assert got.count(None) == 2
    assert Case.objects.filter(status=Case.Status.CLAIMED).count() == 4


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_case_give_it_to_one(make_user):
    from accounts.roles import Role

    moderators = [make_user(Role.MODERATOR) for _ in range(5)]
    case = make_case()
    results = race(*[lambda u=u: claims.case_claim(case_id=case.pk, actor=u) for u in moderators])
    outcomes = race_outcomes(results, refusal=CaseAlreadyClaimed, ok="won")

    assert sorted(outcomes) == ["refused"] * 4 + ["won"]
    assert AuditEvent.objects.filter(action="case.claimed").count() == 1


@requires_postgres
def test_queue_query_is_served_by_an_index_even_for_deep_pages():
    from moderation.models import PlatformAccount, Subject

    category = Category.objects.get(code="spam")
    author = PlatformAccount.objects.create(platform_id="bulk-author")
    subjects = Subject.objects.bulk_create(
        Subject(type="message", platform_id=f"explain-{i}", author=author) for i in range(3000)
    )
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            subject=s,
            subject_type="message",
            category=category,
            priority=i % 700,
            deadline_at=now + timedelta(hours=5),
            status="open" if i % 10 else "resolved",
        )
        for i, s in enumerate(subjects)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE moderation_case")

    def plan(cursor_value):
        from moderation.selectors.queue import apply_filters

        base = apply_filters(Case.objects.all(), QueueFilters())
        if cursor_value is None:
            qs = base.order_by("-priority", "id")[:26]
        else:
            qs = base.filter(priority__lt=cursor_value).order_by("-priority", "id")[:26]
        return qs.explain()

    first, deep = plan(None), plan(12)
    for text in (first, deep):
        assert "case_queue_priority" in text, text
        assert "Seq Scan" not in text, text
    assert "Index Cond" in deep, deep
    assert "priority" in deep.split("Index Cond", 1)[1], deep


def test_next_page_keeps_the_routing_defaults(moderator, moderator_client):
    ModeratorProfile.objects.create(user=moderator, languages=["fa"])
    for _ in range(30):
        make_case(language="fa")
    make_case(language="en")

    first = moderator_client.get(URL)
    link_query = first.context["query"]
    second = moderator_client.get(f"{URL}?{link_query}&cursor={first.context['page'].next_cursor}")

    assert {c.language for c in second.context["page"].cases} == {"fa"}
    assert len(first.context["page"].cases) + len(second.context["page"].cases) == 30


@pytest.mark.parametrize("category", ["10000000000000000000", "¹", "-1", "abc"])
def test_queue_refuses_a_category_id_out_of_range_with_a_form_error(moderator_client, category):
    response = moderator_client.get(reverse("moderation:home"), {"category": category})
    assert response.status_code == 200


def test_signal_filter_keeps_cases_with_a_hash_match_at_a_constant_query_count(moderator_client):
    plain = make_case()
    classified = make_case(signals=[{"kind": "classifier", "name": "spam-v1", "score": 90}])
    matched = make_case(signals=[{"kind": "hash_match", "name": "KNOWN_SPAM", "score": 100}])
    moderator_client.get(URL, {"signal": "hash_match"})
    with CaptureQueriesContext(connection) as small:
        response = moderator_client.get(URL, {"signal": "hash_match"})
    assert [c.pk for c in response.context["page"].cases] == [matched.pk]
    assert {c.pk for c in queue_page(filters=QueueFilters()).cases} >= {plain.pk, classified.pk}

    more = [
        make_case(signals=[{"kind": "hash_match", "name": f"BANK_{n}", "score": 90}])
        for n in range(30)
    ]
    for case in more[:5]:  # a second match on the same case does not repeat it
        CaseSignal.objects.create(case=case, kind="hash_match", name="OTHER", score=80)
    with CaptureQueriesContext(connection) as large:
        response = moderator_client.get(URL, {"signal": "hash_match"})

    shown = [c.pk for c in response.context["page"].cases]
    assert len(shown) == len(set(shown)) == 25
    assert plain.pk not in shown
    assert classified.pk not in shown
    assert len(large.captured_queries) == len(small.captured_queries)


def test_signal_filter_refuses_an_unknown_kind(moderator_client):
    make_case()
    response = moderator_client.get(URL, {"signal": "classifier"})
    assert response.status_code == 200
    assert response.context["form"].errors["signal"]
