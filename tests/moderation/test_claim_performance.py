"""
Claim-next in one statement: it picks and claims the case (UPDATE ... WHERE id = (SELECT ...
FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING) and writes its audit event, whatever the filters,
and still keeps every rule of the queue and never gives one case twice.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from moderation.exceptions import NotAllowed
from moderation.models import Case
from moderation.selectors.queue import QueueFilters
from moderation.services import claims
from tests.moderation.factories import make_case
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db

#: Savepoint (the test's transaction stands for the request's), the claim statement, the
#: audit insert, release. Role and permission look-ups are read once per user instance.
CLAIM_NEXT_QUERIES = 4

ALL_FILTERS = QueueFilters(
    languages=("en", "fa"),
    sources=("user", "trusted_flagger"),
    subject_types=("message", "channel"),
    deadline="on_time",
    signal="hash_match",
)


def _warm(actor) -> None:
    """The first claim of a user instance reads its permissions and roles once."""
    make_case()
    claims.case_claim_next(actor=actor, filters=QueueFilters())


def test_claim_next_is_one_statement_and_its_audit_event(moderator, django_assert_num_queries):
    _warm(moderator)
    case = make_case()

    with CaptureQueriesContext(connection) as captured:
        taken = claims.case_claim_next(actor=moderator, filters=QueueFilters())

    assert taken is not None
    assert taken.pk == case.pk
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == CLAIM_NEXT_QUERIES, statements
    claim = [sql for sql in statements if sql.startswith("UPDATE")]
    assert len(claim) == 1
    assert "RETURNING" in claim[0]
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in claim[0]
        assert "SKIP LOCKED" in claim[0]
    assert len([sql for sql in statements if sql.startswith("INSERT INTO")]) == 1
    taken.refresh_from_db()
    assert (taken.status, taken.claimed_by_id) == (Case.Status.CLAIMED, moderator.pk)
    event = AuditEvent.objects.get(action="case.claimed", target_id=str(case.pk))
    assert event.data["from"] == "open"
    assert event.data["how"] == "next"
    assert event.actor_roles == sorted(moderator.groups.values_list("name", flat=True))


def test_every_filter_stays_inside_the_one_statement(moderator, django_assert_num_queries):
    _warm(moderator)
    make_case(language="de")  # filtered out

    with django_assert_num_queries(CLAIM_NEXT_QUERIES - 1):  # no case, nothing to audit
        assert claims.case_claim_next(actor=moderator, filters=ALL_FILTERS) is None
    with django_assert_num_queries(CLAIM_NEXT_QUERIES):
        assert claims.case_claim_next(actor=moderator, filters=QueueFilters()) is not None


def test_the_returned_case_is_the_claimed_row(moderator):
    case = make_case(category="terrorism", language="fa")

    taken = claims.case_claim_next(actor=moderator, filters=QueueFilters(languages=("fa",)))

    stored = Case.objects.get(pk=case.pk)
    for field in Case._meta.concrete_fields:
        assert getattr(taken, field.attname) == getattr(stored, field.attname), field.name
    assert taken.claim_expires_at is not None


def test_rolled_up_cases_are_not_claimed_next(moderator):
    group_case = make_case()
    rolled = make_case(category="terrorism")  # more urgent, but triaged in its group's case
    Case.objects.filter(pk=rolled.pk).update(rollup_parent=group_case)

    taken = claims.case_claim_next(actor=moderator, filters=QueueFilters())

    assert taken is not None
    assert taken.pk == group_case.pk
    assert claims.case_claim_next(actor=moderator, filters=QueueFilters()) is None


def test_a_refused_escalated_case_is_left_unclaimed_and_unaudited(moderator, senior):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    claims.case_escalate(case_id=case.pk, actor=moderator, to="senior", note="second opinion")
    Case.objects.filter(pk=case.pk).update(status=Case.Status.ESCALATED)
    claimed_before = AuditEvent.objects.filter(action="case.claimed").count()

    with pytest.raises(NotAllowed):
        claims.case_claim_next(actor=moderator, filters=QueueFilters(status="escalated"))

    case.refresh_from_db()
    assert (case.status, case.claimed_by_id) == (Case.Status.ESCALATED, None)
    assert AuditEvent.objects.filter(action="case.claimed").count() == claimed_before
    taken = claims.case_claim_next(actor=senior, filters=QueueFilters(status="escalated"))
    assert taken is not None
    assert taken.pk == case.pk


def test_filters_and_order_match_the_queue(moderator):
    make_case(category="spam", language="en")
    urgent_fa = make_case(category="terrorism", language="fa")
    spam_fa = make_case(category="spam", language="fa")

    first = claims.case_claim_next(actor=moderator, filters=QueueFilters(languages=("fa",)))
    second = claims.case_claim_next(actor=moderator, filters=QueueFilters(languages=("fa",)))

    assert [first.pk, second.pk] == [urgent_fa.pk, spam_fa.pk]
    assert claims.case_claim_next(actor=moderator, filters=QueueFilters(languages=("fa",))) is None


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_moderators_claiming_fifty_cases_never_share_one(make_user):
    from accounts.roles import Role

    cases = {make_case().pk for _ in range(50)}
    moderators = [make_user(Role.MODERATOR) for _ in range(8)]

    def claim_until_empty(actor):
        got = []
        while (case := claims.case_claim_next(actor=actor, filters=QueueFilters())) is not None:
            got.append(case.pk)
        return got

    results = race(*[lambda u=u: claim_until_empty(u) for u in moderators])

    assert race_errors(results) == []
    claimed = [pk for got in results for pk in got]
    assert len(claimed) == len(set(claimed)) == 50  # nobody got a case twice
    assert set(claimed) == cases
    audited = Counter(
        AuditEvent.objects.filter(action="case.claimed").values_list("target_id", flat=True)
    )
    assert audited == Counter(str(pk) for pk in cases)  # every claim audited once
    holders = dict(Case.objects.filter(pk__in=cases).values_list("pk", "claimed_by_id"))
    for actor, got in zip(moderators, results, strict=True):
        assert all(holders[pk] == actor.pk for pk in got)
