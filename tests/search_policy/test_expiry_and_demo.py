"""Expired delistings leave the feed with an explicit removal; the demo seed shows the feature."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from search_policy import demo, services
from search_policy.models import AllowedTerm, BlockedTerm, DelistedEntity, PolicyChange
from tests.moderation.factories import make_case
from tests.search_policy.helpers import delist

pytestmark = pytest.mark.django_db


def test_expired_delistings_are_removed_with_a_feed_change(make_user):
    senior = make_user(Role.SENIOR_MODERATOR, username="senior-expiry")
    soon = delist(senior, expires_at=timezone.now() + timedelta(hours=1))
    later = delist(senior, expires_at=timezone.now() + timedelta(days=9))

    removed = services.entities_expired_remove(now=timezone.now() + timedelta(hours=2))

    assert removed == 1
    assert not DelistedEntity.objects.get(pk=soon.pk).active
    assert DelistedEntity.objects.get(pk=later.pk).active
    assert PolicyChange.objects.filter(op="remove", entity=soon).count() == 1
    assert services.entities_expired_remove(now=timezone.now() + timedelta(hours=2)) == 0


def test_the_beat_task_removes_the_delistings_already_expired(make_user):
    from django.conf import settings

    from search_policy import tasks

    senior = make_user(Role.SENIOR_MODERATOR, username="senior-beat")
    gone = delist(senior, expires_at=timezone.now() + timedelta(minutes=1))
    DelistedEntity.objects.filter(pk=gone.pk).update(expires_at=timezone.now())  # time passed

    assert tasks.remove_expired_delistings.delay().get() == 1
    assert not DelistedEntity.objects.get(pk=gone.pk).active
    entry = settings.CELERY_BEAT_SCHEDULE["search-policy-remove-expired"]
    assert entry["task"] == tasks.remove_expired_delistings.name


def test_the_demo_seed_adds_terms_once(make_user):
    make_user(Role.SENIOR_MODERATOR, username="senior")
    first = demo.seed()
    second = demo.seed()
    assert first["terms"] == 7
    assert first["entities"] == 4  # no moderator here: no delisting by decision
    assert second["terms"] == 0
    assert second["entities"] == 0
    assert BlockedTerm.objects.filter(confidential=True).count() == 1
    assert set(AllowedTerm.objects.values_list("term", flat=True)) == {
        "breast cancer",
        "breastfeeding",
    }
    assert BlockedTerm.objects.get(term="waffen kaufen").languages == ["de"]


def test_the_demo_delists_a_channel_through_a_moderators_decision(make_user):
    make_user(Role.SENIOR_MODERATOR, username="senior")
    make_user(Role.MODERATOR, username="moderator2")
    case = make_case(category="spam", subject__type="channel")

    first = demo.seed()
    second = demo.seed()

    entry = DelistedEntity.objects.get(case=case)
    assert entry.entity_type == "channel"
    assert entry.decision is not None
    assert "remove_from_search" in entry.decision.actions
    assert first["entities"] == 5
    assert second["entities"] == 0
