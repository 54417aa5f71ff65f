"""Concurrent writers take feed versions one at a time, so versions commit in order."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from search_policy import services
from search_policy.models import BlockedTerm, PolicyChange
from tests.search_policy.helpers import add_term, delist, fresh_now
from tests.utils import race, race_errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_get_distinct_gapless_versions(make_user):
    senior = make_user(Role.SENIOR_MODERATOR, username="senior-race")
    words = [f"word{i}" for i in range(6)]

    results = race(
        *[lambda w=w: add_term(senior, w) for w in words[:3]],
        *[lambda: delist(senior) for _ in range(3)],
    )

    assert race_errors(results) == []
    assert sorted(PolicyChange.objects.values_list("version", flat=True)) == [1, 2, 3, 4, 5, 6]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_seniors_removing_one_term_remove_it_once(make_user):
    first = make_user(Role.SENIOR_MODERATOR, username="senior-a")
    second = make_user(Role.SENIOR_MODERATOR, username="senior-b")
    term = add_term(first)

    results = race(
        lambda: services.term_remove(
            actor=first, term_id=term.pk, reason="a", reauthenticated_at=fresh_now()
        ),
        lambda: services.term_remove(
            actor=second, term_id=term.pk, reason="b", reauthenticated_at=fresh_now()
        ),
    )

    assert race_errors(results, services.EntryNotActive) == []
    assert sum(isinstance(r, services.EntryNotActive) for r in results) == 1
    assert PolicyChange.objects.filter(op="remove").count() == 1
    assert not BlockedTerm.objects.get().active
