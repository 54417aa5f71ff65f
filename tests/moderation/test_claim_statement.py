"""
Claim-next compiles its statement once per set of filters and reads the moderator's routing
once per user instance; what changes from call to call (the actor, the time, the lease, the
exposure cap, a deadline window) is never frozen into what is kept, and a routing change is
seen at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Case, Category, ModeratorProfile
from moderation.selectors import exposure
from moderation.selectors.queue import QueueFilters, filters_for_moderator
from moderation.services import claims, evidence
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db

#: In the transaction: the claim statement and the audit insert. The test's own transaction
#: stands for the request's, hence a savepoint and its release around them.
CLAIM_STATEMENTS = 2
SAVEPOINT = 2


def _warm(actor) -> None:
    """The first claim of a user instance reads its routing, permissions and roles once."""
    make_case()
    claims.case_claim_next(actor=actor, filters=filters_for_moderator(user=actor))


def test_claim_next_as_the_view_calls_it_is_two_statements(moderator, django_assert_num_queries):
    _warm(moderator)
    case = make_case()

    with django_assert_num_queries(CLAIM_STATEMENTS + SAVEPOINT) as captured:
        filters = filters_for_moderator(user=moderator)
        taken = claims.case_claim_next(actor=moderator, filters=filters)

    assert taken is not None
    assert taken.pk == case.pk
    statements = [q["sql"] for q in captured.captured_queries]
    assert sum(sql.startswith("UPDATE") for sql in statements) == 1
    assert sum(sql.startswith("INSERT INTO") for sql in statements) == 1
    event = AuditEvent.objects.get(action="case.claimed", target_id=str(case.pk))
    assert event.data == {"from": "open", "how": "next", "lease_until": event.data["lease_until"]}
    taken.refresh_from_db()
    assert event.data["lease_until"] == taken.claim_expires_at.isoformat()


def test_a_routing_profile_is_read_in_one_query(moderator, django_assert_num_queries):
    profile = ModeratorProfile.objects.create(user=moderator, languages=["fa", "en"])
    spam, terrorism = Category.objects.get(code="spam"), Category.objects.get(code="terrorism")
    profile.categories.set([spam, terrorism])
    expected = tuple(c.pk for c in Category.objects.filter(pk__in=[spam.pk, terrorism.pk]))

    fresh = type(moderator).objects.get(pk=moderator.pk)  # as a new request's user
    with django_assert_num_queries(1):
        filters = filters_for_moderator(user=fresh)
    with django_assert_num_queries(0):
        again = filters_for_moderator(user=fresh)

    assert filters == again == QueueFilters(languages=("fa", "en"), categories=expected)


def test_without_a_profile_the_queue_is_unfiltered(moderator, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert filters_for_moderator(user=moderator) == QueueFilters()
    with django_assert_num_queries(0):
        assert filters_for_moderator(user=moderator) == QueueFilters()


def test_every_routing_change_is_seen_by_a_kept_user_instance(moderator):
    spam, terrorism = Category.objects.get(code="spam"), Category.objects.get(code="terrorism")
    assert filters_for_moderator(user=moderator) == QueueFilters()

    profile = ModeratorProfile.objects.create(user=moderator, languages=["en"])
    assert filters_for_moderator(user=moderator) == QueueFilters(languages=("en",))

    profile.languages = ["de"]
    profile.save(update_fields=["languages"])
    assert filters_for_moderator(user=moderator).languages == ("de",)

    profile.categories.add(spam)
    assert filters_for_moderator(user=moderator).categories == (spam.pk,)

    profile.categories.set([terrorism])
    assert filters_for_moderator(user=moderator).categories == (terrorism.pk,)

    profile.categories.clear()
    assert filters_for_moderator(user=moderator).categories == ()

    profile.categories.add(spam)
    assert filters_for_moderator(user=moderator).categories == (spam.pk,)
    profile.categories.remove(spam)
    assert filters_for_moderator(user=moderator).categories == ()

    profile.categories.add(spam)
    assert filters_for_moderator(user=moderator).categories == (spam.pk,)
    Category.objects.filter(pk=spam.pk).delete()  # its through rows go with it
    assert filters_for_moderator(user=moderator).categories == ()

    profile.delete()
    assert filters_for_moderator(user=moderator) == QueueFilters()


def test_the_statement_is_compiled_once_per_filters(moderator, monkeypatch):
    compiled = []
    real = claims.apply_filters

    def counting(cases, filters):
        compiled.append(filters)
        return real(cases, filters)

    monkeypatch.setattr(claims, "apply_filters", counting)
    monkeypatch.setattr(claims, "_STATEMENTS", {})
    for _ in range(3):
        make_case(language="fa")
    fa = QueueFilters(languages=("fa",))

    taken = [claims.case_claim_next(actor=moderator, filters=fa) for _ in range(3)]

    assert all(case is not None for case in taken)
    assert len({case.pk for case in taken}) == 3
    assert compiled == [fa]
    assert claims.case_claim_next(actor=moderator, filters=QueueFilters()) is None
    assert len(compiled) == 2  # other filters, another statement


def test_a_kept_statement_takes_each_callers_actor_and_exposure(make_user, settings):
    """Two moderators, one statement: only the one past the soft cap is spared graphic cases."""
    settings.EXPOSURE_SOFT_CAP_PER_HOUR = 2
    tired, fresh = make_user(Role.MODERATOR), make_user(Role.MODERATOR)
    seen = make_case(category="terrorism", subject__media_sha256="ab" * 32)
    claims.case_claim(case_id=seen.pk, actor=tired)
    for _ in range(2):
        evidence.media_reveal(report=seen.reports.get(), actor=tired)
    graphic = make_case(category="child_safety")
    Case.objects.filter(pk=graphic.pk).update(priority=10_000)
    plain = make_case(category="spam")
    assert exposure.over_soft_cap(tired) is not None
    assert exposure.over_soft_cap(fresh) is None
    filters = QueueFilters()

    first = claims.case_claim_next(actor=tired, filters=filters)
    second = claims.case_claim_next(actor=fresh, filters=filters)

    assert (first.pk, first.claimed_by_id) == (plain.pk, tired.pk)
    assert (second.pk, second.claimed_by_id) == (graphic.pk, fresh.pk)
    settings.EXPOSURE_SOFT_CAP_PER_HOUR = 100  # the cap is read on each call
    again = make_case(category="child_safety")
    Case.objects.filter(pk=again.pk).update(priority=10_000)
    assert claims.case_claim_next(actor=tired, filters=filters).pk == again.pk


def test_a_deadline_window_moves_with_the_clock(moderator, monkeypatch):
    case = make_case()
    start = timezone.now()
    Case.objects.filter(pk=case.pk).update(deadline_at=start + timedelta(hours=1))
    overdue = QueueFilters(deadline="overdue")

    assert claims.case_claim_next(actor=moderator, filters=overdue) is None
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(hours=2))
    taken = claims.case_claim_next(actor=moderator, filters=overdue)

    assert taken is not None
    assert taken.pk == case.pk
    assert taken.claim_expires_at > start + timedelta(hours=2)  # the lease runs from now


def test_a_status_outside_the_claimable_queues_claims_from_open(moderator):
    case = make_case()

    taken = claims.case_claim_next(actor=moderator, filters=QueueFilters(status="resolved"))

    assert taken.pk == case.pk
    event = AuditEvent.objects.get(action="case.claimed", target_id=str(case.pk))
    assert event.data["from"] == "open"
