from __future__ import annotations

import pytest
from django.db import transaction

import audit
from accounts.roles import Role
from audit import context
from audit.models import AuditEvent
from audit.services import InvalidAuditEvent

pytestmark = pytest.mark.django_db


def test_record_snapshots_actor_roles_and_context(make_user):
    user = make_user(Role.LEGAL_OFFICER, Role.AUDITOR, username="louise")

    with context.bind(request_id="req-12345678", ip_address="203.0.113.7"):
        event = audit.record(action="request.viewed", actor=user, target=user, data={"n": 1})

    event.refresh_from_db()
    assert event.actor == user
    assert event.actor_username == "louise"
    assert event.actor_roles == ["Auditor", "Legal officer"]
    assert (event.ip_address, event.request_id) == ("203.0.113.7", "req-12345678")
    assert (event.target_type, event.target_id) == ("accounts.user", str(user.pk))
    assert event.data == {"n": 1}


def test_record_without_actor_is_the_system():
    event = audit.record(action="system.tick", target_type="x.y", target_id=5)

    assert event.actor is None
    assert event.actor_username == ""
    assert event.actor_roles == []
    assert event.actor_label == "system"
    assert event.target_id == "5"


def test_record_roles_snapshot_does_not_follow_later_role_changes(make_user):
    from accounts import services

    user = make_user(Role.MODERATOR)
    event = audit.record(action="case.claimed", actor=user)
    services.user_set_roles(user=user, roles=[Role.AUDITOR])

    event.refresh_from_db()
    assert event.actor_roles == ["Moderator"]


def test_record_takes_actor_from_bound_request_user(make_user):
    user = make_user(Role.MODERATOR)

    with context.bind(user=user):
        event = audit.record(action="case.viewed")

    assert event.actor == user


def test_record_rolled_back_with_the_callers_transaction():
    before = AuditEvent.objects.count()

    def change_that_fails_after_recording() -> None:
        with transaction.atomic():
            audit.record(action="case.resolved", target_type="moderation.case", target_id=1)
            raise RuntimeError("the change failed after the event was written")

    with pytest.raises(RuntimeError):
        change_that_fails_after_recording()

    assert AuditEvent.objects.count() == before


def test_record_committed_with_the_callers_transaction():
    with transaction.atomic():
        event = audit.record(action="case.resolved", target_type="moderation.case", target_id=1)

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "action", ["", "resolved", "Case.Resolved", "case..resolved", "case.resolved.", "1case.x"]
)
def test_record_rejects_bad_action_names_and_writes_nothing(action):
    with pytest.raises(InvalidAuditEvent):
        audit.record(action=action)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"score": 0.5}, "data.score: floats are not allowed"),
        ({"nested": {"list": [1, 2.0]}}, "data.nested.list[1]: floats"),
        ({"when": object()}, "data.when: object is not JSON"),
        ({1: "int key"}, "keys must be strings"),
    ],
)
def test_record_rejects_payloads_without_a_canonical_encoding(data, message):
    with pytest.raises(InvalidAuditEvent, match=message.replace("[", r"\[").replace("]", r"\]")):
        audit.record(action="case.scored", data=data)
    assert not AuditEvent.objects.exists()


def test_pii_digest_is_keyed_stable_and_not_the_value(settings):
    digest = audit.pii_digest("+33612345678")

    assert digest == audit.pii_digest(" +33612345678 ")
    assert "33612345678" not in digest
    assert len(digest) == 64
    settings.AUDIT_HMAC_KEY = "another-key"
    assert audit.pii_digest("+33612345678") != digest


def test_a_403_in_any_view_is_recorded_as_authz_denied(moderator_client, moderator):
    response = moderator_client.get("/audit/events/")

    assert response.status_code == 403
    event = AuditEvent.objects.get(action="authz.denied")
    assert event.actor == moderator
    assert event.data == {"path": "/audit/events/", "method": "GET"}
