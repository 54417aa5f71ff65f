"""A "remove from search" decision delists its subject; an appeal that undoes it relists it."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Statement
from search_policy.models import DelistedEntity, PolicyChange
from search_policy.selectors import feed_head
from tests.search_policy.helpers import answer_appeal, decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-delist")


def test_a_delisting_decision_adds_the_subject_linked_to_its_case(moderator):
    decision = decide(moderator)

    entity = DelistedEntity.objects.get()
    assert entity.active
    assert (entity.entity_type, entity.platform_id) == (
        "channel",
        decision.case.subject.platform_id,
    )
    assert (entity.case_id, entity.decision_id) == (decision.case_id, decision.pk)
    assert entity.category == decision.dsa_category
    assert PolicyChange.objects.get().op == "add"
    assert AuditEvent.objects.filter(action="search_policy.entity_delisted").count() == 1


def test_other_decisions_delist_nothing(moderator):
    decide(moderator, actions=("remove_content",))
    decide(moderator, subject__type="media")  # no search identity of its own
    assert not DelistedEntity.objects.exists()
    assert feed_head() == 0


def test_a_reversal_on_appeal_relists_with_a_new_feed_version(moderator, senior):
    decision = decide(moderator)

    answer_appeal(decision, senior, "reversed")

    entity = DelistedEntity.objects.get()
    assert not entity.active
    assert "reversed" in entity.removal_reason
    assert list(PolicyChange.objects.order_by("version").values_list("version", "op")) == [
        (1, "add"),
        (2, "remove"),
    ]


def test_a_replacing_decision_that_delists_too_takes_the_entry_over(moderator, senior):
    decision = decide(moderator)

    answer_appeal(decision, senior, "modified", new_actions=("remove_from_search", "label"))

    entity = DelistedEntity.objects.get()
    assert entity.active
    assert entity.decision_id != decision.pk
    assert entity.decision.supersedes_id == decision.pk
    assert feed_head() == 1  # no churn in the feed


def test_a_replacing_decision_that_does_not_delist_relists(moderator, senior):
    decision = decide(moderator)

    answer_appeal(decision, senior, "modified", new_actions=("label",))

    assert not DelistedEntity.objects.get().active
    assert feed_head() == 2


def test_the_statement_says_the_content_was_removed_from_search(moderator):
    decision = decide(moderator)

    payload = Statement.objects.get(decision=decision).payload
    assert payload["decision_visibility"] == ["DECISION_VISIBILITY_OTHER"]
    assert "removed from search results" in payload["decision_visibility_other"].lower()


def test_a_statement_without_search_removal_has_no_free_text(moderator):
    decision = decide(moderator, actions=("remove_content",))
    payload = Statement.objects.get(decision=decision).payload
    assert payload["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert "decision_visibility_other" not in payload
