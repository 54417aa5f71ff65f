"""Removing a search policy entry widens every user's search: it needs a fresh step-up."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts import reauth
from accounts.roles import Role
from audit.models import AuditEvent
from core.errors import NotPermitted
from search_policy import allowlist, services
from search_policy.models import AllowedTerm, BlockedTerm, DelistedEntity, PolicyChange
from tests.search_policy.helpers import add_term, allow, delist, fresh, fresh_now

pytestmark = pytest.mark.django_db

CONFIRM = "/accounts/confirm/"


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-step-up")


def _age(client, session_state):
    """Signing in counts as confirming: age the moment, or drop it."""
    session = client.session
    if session_state == "stale":
        session[reauth.SESSION_KEY] = fresh_now() - settings.REAUTH_MAX_AGE_SECONDS - 1
    else:
        session.pop(reauth.SESSION_KEY, None)
    session.save()
    return client


def _removals(senior):
    term, entity, allowed = add_term(senior), delist(senior), allow(senior)
    return [
        (f"/search-policy/terms/{term.pk}/remove/", "/search-policy/", term),
        (f"/search-policy/entities/{entity.pk}/relist/", "/search-policy/entities/", entity),
        (f"/search-policy/allowed/{allowed.pk}/remove/", "/search-policy/allowed/", allowed),
    ]


@pytest.mark.parametrize("session", ["never", "stale"])
def test_without_a_fresh_step_up_a_removal_goes_to_confirm_and_changes_nothing(
    senior, client_for, session
):
    client = _age(client_for(senior), session)
    removals = _removals(senior)
    changes = PolicyChange.objects.count()

    for url, page, entry in removals:
        response = client.post(url, {"reason": "No longer needed."})
        assert response.status_code == 302
        assert response["Location"].startswith(f"{CONFIRM}?next=")
        assert page.replace("/", "%2F") in response["Location"]
        entry.refresh_from_db()
        assert entry.active

    assert PolicyChange.objects.count() == changes
    assert not AuditEvent.objects.filter(
        action__in=[
            "search_policy.term_removed",
            "search_policy.entity_relisted",
            "search_policy.allowed_term_removed",
        ]
    ).exists()
    follow = client.post(removals[0][0], {"reason": "x"}, follow=True)
    assert "needs a fresh confirmation" in follow.content.decode()


def test_after_a_fresh_step_up_the_removals_work(senior, client_for):
    client = fresh(client_for(senior))
    removals = _removals(senior)

    for url, page, entry in removals:
        response = client.post(url, {"reason": "No longer needed."})
        assert response["Location"] == page
        entry.refresh_from_db()
        assert not entry.active
        assert entry.removal_reason == "No longer needed."

    assert PolicyChange.objects.filter(op="remove").count() == 3


def test_the_services_refuse_a_stale_or_missing_step_up_and_write_nothing(senior):
    term, entity, allowed = add_term(senior), delist(senior), allow(senior)
    for at in (None, 0, fresh_now() - settings.REAUTH_MAX_AGE_SECONDS - 1):
        with pytest.raises(services.StepUpRequired):
            services.term_remove(actor=senior, term_id=term.pk, reason="x", reauthenticated_at=at)
        with pytest.raises(services.StepUpRequired):
            services.entity_relist(
                actor=senior, entity_id=entity.pk, reason="x", reauthenticated_at=at
            )
        with pytest.raises(services.StepUpRequired):
            allowlist.allowed_term_remove(
                actor=senior, allowed_id=allowed.pk, reason="x", reauthenticated_at=at
            )
    assert BlockedTerm.objects.get().active
    assert DelistedEntity.objects.get().active
    assert AllowedTerm.objects.get().active
    assert not PolicyChange.objects.filter(op="remove").exists()


def test_a_fresh_step_up_does_not_make_up_for_a_missing_permission(senior, make_user):
    term = add_term(senior)
    moderator = make_user(Role.MODERATOR)
    with pytest.raises(NotPermitted):
        services.term_remove(
            actor=moderator, term_id=term.pk, reason="x", reauthenticated_at=fresh_now()
        )
    assert BlockedTerm.objects.get().active


def test_a_fresh_step_up_still_needs_a_reason(senior, client_for):
    term = add_term(senior)
    client = fresh(client_for(senior))
    response = client.post(f"/search-policy/terms/{term.pk}/remove/", {"reason": "  "}, follow=True)
    assert "Say why the entry is removed." in response.content.decode()
    term.refresh_from_db()
    assert term.active
