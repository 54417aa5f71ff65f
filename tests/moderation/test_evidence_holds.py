"""
Legal holds on an account's evidence: placed and released idempotently, each change audited,
one hold in force per account and source, read back for pages in one query.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from audit.models import AuditEvent
from moderation.models import EvidenceHold, PlatformAccount
from moderation.selectors.evidence import account_on_hold, holds_for_accounts
from moderation.services.holds import (
    evidence_hold_place,
    evidence_hold_release,
    evidence_holds_release,
)
from tests.moderation.factories import make_case
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db


def account(name: str = "held") -> PlatformAccount:
    return PlatformAccount.objects.create(platform_id=f"acct-{name}", username=name)


def hold_events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def source():
    """Any model instance can place a hold; a case stands in for a legal request here."""
    return make_case()


def test_place_stores_the_source_and_records_an_event(moderator, source):
    held = account()

    hold = evidence_hold_place(
        account=held, source=source, reason="Legal request X", actor=moderator
    )

    assert (hold.account, hold.source_type, hold.source_id) == (
        held,
        "moderation.case",
        str(source.pk),
    )
    assert (hold.reason, hold.placed_by, hold.released_at) == ("Legal request X", moderator, None)
    [event] = hold_events("evidence.hold_placed")
    assert (event.actor, event.target_type, event.target_id) == (
        moderator,
        "moderation.platformaccount",
        str(held.pk),
    )
    assert event.data == {
        "hold": hold.pk,
        "source_type": "moderation.case",
        "source_id": str(source.pk),
    }


def test_placing_the_same_hold_twice_changes_nothing(moderator, source):
    held = account()
    first = evidence_hold_place(account=held, source=source, reason="r", actor=moderator)

    again = evidence_hold_place(account=held.pk, source=source, reason="other", actor=None)

    assert again.pk == first.pk
    assert EvidenceHold.objects.count() == 1
    assert len(hold_events("evidence.hold_placed")) == 1


def test_release_ends_the_hold_and_records_an_event(moderator, senior, source):
    held = account()
    hold = evidence_hold_place(account=held, source=source, reason="r", actor=moderator)

    released = evidence_hold_release(account=held, source=source, actor=senior)

    assert released is not None
    assert released.pk == hold.pk
    hold.refresh_from_db()
    assert hold.released_at is not None
    assert hold.released_by == senior
    [event] = hold_events("evidence.hold_released")
    assert (event.actor, event.target_id, event.data["hold"]) == (senior, str(held.pk), hold.pk)
    assert not account_on_hold(held.pk)


def test_releasing_twice_or_a_hold_never_placed_changes_nothing(moderator, source):
    held = account()
    evidence_hold_place(account=held, source=source, reason="r", actor=moderator)
    evidence_hold_release(account=held, source=source, actor=moderator)

    assert evidence_hold_release(account=held, source=source, actor=moderator) is None
    assert evidence_hold_release(account=account("other"), source=source, actor=None) is None
    assert len(hold_events("evidence.hold_released")) == 1


def test_a_released_hold_can_be_placed_again_as_a_new_hold(moderator, source):
    held = account()
    first = evidence_hold_place(account=held, source=source, reason="r", actor=moderator)
    evidence_hold_release(account=held, source=source, actor=moderator)

    second = evidence_hold_place(account=held, source=source, reason="r", actor=moderator)

    assert second.pk != first.pk
    assert account_on_hold(held.pk)


def test_one_sources_release_leaves_anothers_hold_in_force(moderator, source):
    held, other_source = account(), make_case()
    evidence_hold_place(account=held, source=source, reason="a", actor=moderator)
    evidence_hold_place(account=held, source=other_source, reason="b", actor=moderator)

    evidence_hold_release(account=held, source=source, actor=moderator)

    assert account_on_hold(held.pk)
    assert [h.source_id for h in holds_for_accounts([held.pk])[held.pk]] == [str(other_source.pk)]


def test_release_by_source_ends_its_holds_on_every_account(moderator, source):
    first, second, untouched = account("a"), account("b"), account("c")
    for held in (first, second):
        evidence_hold_place(account=held, source=source, reason="r", actor=moderator)
    evidence_hold_place(account=untouched, source=make_case(), reason="r", actor=moderator)

    released = evidence_holds_release(source=source, actor=moderator)

    assert len(released) == 2
    assert (account_on_hold(first.pk), account_on_hold(second.pk)) == (False, False)
    assert account_on_hold(untouched.pk)
    assert evidence_holds_release(source=source, actor=moderator) == []


def test_the_database_refuses_two_holds_in_force_for_one_source(moderator, source):
    held = account()
    evidence_hold_place(account=held, source=source, reason="r", actor=moderator)

    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceHold.objects.create(
            account=held, source_type="moderation.case", source_id=str(source.pk), reason="r"
        )


def test_holds_for_accounts_reads_every_account_in_one_query(
    moderator, source, django_assert_num_queries
):
    accounts = [account(f"n{n}") for n in range(5)]
    for held in accounts[:3]:
        evidence_hold_place(account=held, source=source, reason="r", actor=moderator)
    evidence_hold_place(account=accounts[0], source=make_case(), reason="r", actor=moderator)
    evidence_hold_release(account=accounts[2], source=source, actor=moderator)

    with django_assert_num_queries(1):
        found = holds_for_accounts([a.pk for a in accounts])

    assert {pk: len(holds) for pk, holds in found.items()} == {
        accounts[0].pk: 2,
        accounts[1].pk: 1,
    }


def test_holds_for_no_account_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert holds_for_accounts([]) == {}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_placements_at_once_make_one_hold_and_one_event(make_user):
    actor, held, source = make_user(), account(), make_case()

    results = race(
        *[
            lambda: evidence_hold_place(account=held.pk, source=source, reason="r", actor=actor)
            for _ in range(3)
        ]
    )

    assert race_errors(results) == []
    assert len({hold.pk for hold in results}) == 1
    assert EvidenceHold.objects.count() == 1
    assert len(hold_events("evidence.hold_placed")) == 1


def test_the_case_page_banner_shows_a_hold_without_naming_its_source(moderator, source):
    held = account()
    evidence_hold_place(account=held, source=source, reason="Legal request LR-1", actor=moderator)

    shown = render_to_string(
        "moderation/_evidence_hold.html", {"evidence_on_hold": account_on_hold(held.pk)}
    )
    hidden = render_to_string(
        "moderation/_evidence_hold.html", {"evidence_on_hold": account_on_hold(account("x").pk)}
    )

    assert "Evidence on legal hold" in shown
    assert "LR-1" not in shown
    assert hidden.strip() == ""
