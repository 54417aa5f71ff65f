"""Session policy: role-dependent idle limit, absolute limit, end on role change or disabling."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import session_policy
from accounts.roles import Role
from audit.models import AuditEvent
from tests.utils import login_verified

MINUTE = 60


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = 1_800_000_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(session_policy, "_now", lambda: clock.now)
    return clock


def _logged_in(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _dashboard(client: Client):
    return client.get(reverse("dashboard"))


@pytest.mark.parametrize(
    ("role", "idle_minutes"),
    [
        (Role.MODERATOR, 30),
        (Role.SENIOR_MODERATOR, 30),
        (Role.LEGAL_OFFICER, 15),
        (Role.LEGAL_APPROVER, 15),
        (Role.AUDITOR, 15),
        (Role.ADMINISTRATOR, 15),
    ],
)
def test_session_idle_limit_depends_on_the_role(make_user, clock, role, idle_minutes):
    client = _logged_in(make_user(role))

    clock.advance(idle_minutes * MINUTE - 5)
    assert _dashboard(client).status_code == 200
    clock.advance(idle_minutes * MINUTE + 5)
    response = _dashboard(client)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_session_expired_is_flushed_audited_and_explained(make_user, clock):
    user = make_user(Role.LEGAL_OFFICER)
    client = _logged_in(user)

    clock.advance(16 * MINUTE)
    response = client.get(reverse("dashboard"), follow=True)

    assert "_auth_user_id" not in client.session
    assert "Your session has expired" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.actor == user
    assert event.data == {"reason": "idle"}
    # Logged out for good: the next request is a plain login redirect, not a second expiry.
    assert _dashboard(client).status_code == 302
    assert AuditEvent.objects.filter(action="auth.session_expired").count() == 1


def test_session_activity_keeps_it_alive_until_the_absolute_limit(make_user, clock):
    user = make_user(Role.MODERATOR)
    client = _logged_in(user)

    for _ in range(28):  # a request every 25 minutes for 11 hours 40 minutes
        clock.advance(25 * MINUTE)
        assert _dashboard(client).status_code == 200
    clock.advance(21 * MINUTE)  # within the idle limit, but 12 hours and 1 minute after login
    response = _dashboard(client)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.data == {"reason": "absolute"}


def test_session_htmx_request_gets_an_hx_redirect(make_user, clock):
    client = _logged_in(make_user(Role.MODERATOR))

    clock.advance(31 * MINUTE)
    response = client.get(reverse("dashboard"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    # No HX-Current-URL: back to the dashboard after signing in (tests/accounts/test_session_loss).
    assert response["HX-Redirect"] == reverse("accounts:login") + "?next=%2F"


def test_session_ends_when_roles_change(make_user):
    user = make_user(Role.MODERATOR)
    other = make_user(Role.MODERATOR)
    client, bystander = _logged_in(user), _logged_in(other)

    user.groups.add(Group.objects.get(name=Role.SENIOR_MODERATOR.value))

    assert _dashboard(client).status_code == 302
    assert _dashboard(bystander).status_code == 200
    event = AuditEvent.objects.get(action="session.terminated")
    assert event.target_id == str(user.pk)
    assert event.data == {"reason": "roles_changed", "sessions": 1}


def test_session_ends_when_a_role_is_removed_through_the_group(make_user):
    user = make_user(Role.LEGAL_OFFICER)
    client = _logged_in(user)

    Group.objects.get(name=Role.LEGAL_OFFICER.value).user_set.remove(user)

    assert _dashboard(client).status_code == 302


def test_session_ends_when_the_account_is_disabled(make_user):
    user = make_user(Role.MODERATOR)
    client = _logged_in(user)
    second = _logged_in(user)

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert not Session.objects.exists()
    assert _dashboard(client).status_code == 302
    assert _dashboard(second).status_code == 302
    event = AuditEvent.objects.get(action="session.terminated")
    assert event.data == {"reason": "account_disabled", "sessions": 2}


@pytest.mark.parametrize("granted", [True, False])
def test_session_ends_when_superuser_status_changes_and_it_is_audited(make_user, granted):
    user = make_user(Role.MODERATOR)
    if not granted:
        user.is_superuser = True
        user.save()
    client = _logged_in(user)
    bystander = _logged_in(make_user(Role.MODERATOR))

    user.is_superuser = granted
    user.save()

    assert _dashboard(client).status_code == 302
    assert _dashboard(bystander).status_code == 200
    changed = AuditEvent.objects.filter(action="user.superuser_changed").latest("pk")
    assert changed.data == {"is_superuser": granted}
    terminated = AuditEvent.objects.get(action="session.terminated")
    assert terminated.data == {"reason": "superuser_changed", "sessions": 1}


def test_saving_a_user_without_touching_superuser_status_keeps_the_session(make_user):
    user = make_user(Role.MODERATOR)
    client = _logged_in(user)

    user.first_name = "Mina"
    user.save()
    user.save(update_fields=["last_login"])

    assert _dashboard(client).status_code == 200
    assert not AuditEvent.objects.filter(action="user.superuser_changed").exists()
