"""A `tag_reports` publish lost with the broker is made good by the relay, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from moderation.models import CaseSignal, Report
from outbox import relay
from search_policy import receivers
from search_policy.models import TagCursor
from search_policy.tagging import CURSOR_NAME, cursor_tag
from tests.moderation.factories import make_case
from tests.search_policy.helpers import add_term

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-relay")


def search_case(query: str):
    return make_case(
        subject__type="search_result",
        subject__chat_id="",
        subject__chat_kind="",
        subject__search_query=query,
    )


def _tags(case) -> int:
    return CaseSignal.objects.filter(case=case, kind="blocked_term").count()


def test_a_lost_publish_is_tagged_by_the_relay_and_a_second_run_adds_nothing(
    senior, monkeypatch, django_capture_on_commit_callbacks
):
    assert "search_policy.tagging" in relay.registered()
    add_term(senior, "contraband")
    published = []
    monkeypatch.setattr(  # broker down: the publish is lost
        receivers, "publish", lambda task, **kwargs: published.append(kwargs) or False
    )
    with django_capture_on_commit_callbacks(execute=True):
        hit = search_case("C0NTRABAND")
        miss = search_case("weather berlin")
        plain = make_case()
    assert published  # the receiver did try
    assert _tags(hit) == 0

    assert relay.relay_all(now=timezone.now())["search_policy.tagging"] == 0  # within the grace
    later = timezone.now() + timedelta(minutes=2)
    assert relay.relay_all(now=later)["search_policy.tagging"] == 1

    assert (_tags(hit), _tags(miss), _tags(plain)) == (1, 0, 0)
    assert TagCursor.objects.get(name=CURSOR_NAME).last_report_id == max(
        Report.objects.filter(case__in=[hit, miss, plain]).values_list("pk", flat=True)
    )
    assert relay.relay_all(now=later)["search_policy.tagging"] == 0
    TagCursor.objects.update(last_report_id=0)  # even walked again, nothing is added twice
    assert cursor_tag(now=later) == 0
    assert _tags(hit) == 1


def test_a_report_its_own_task_tagged_gains_nothing_from_the_relay(
    senior, django_capture_on_commit_callbacks
):
    add_term(senior, "contraband")
    with django_capture_on_commit_callbacks(execute=True):
        case = search_case("contraband")
    assert _tags(case) == 1
    assert cursor_tag(now=timezone.now() + timedelta(minutes=2)) == 0
    assert _tags(case) == 1


def test_the_cursor_moves_in_bounded_batches(senior):
    add_term(senior, "contraband")
    # Without on_commit callbacks no task runs: only the cursor can tag these.
    cases = [search_case("contraband") for _ in range(3)]
    later = timezone.now() + timedelta(minutes=2)

    assert cursor_tag(now=later, batch=2) == 2
    assert [_tags(c) for c in cases] == [1, 1, 0]
    assert cursor_tag(now=later, batch=2) == 1
    assert cursor_tag(now=later, batch=2) == 0
    assert [_tags(c) for c in cases] == [1, 1, 1]
