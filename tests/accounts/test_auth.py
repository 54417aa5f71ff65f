from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.helpers import flush_failed_signins

pytestmark = pytest.mark.django_db


def test_login_records_event_with_ip_and_request_id(make_user, client):
    user = make_user(Role.MODERATOR, username="mina", password="correct-horse-42")

    response = client.post(
        reverse("accounts:login"),
        {"username": "mina", "password": "correct-horse-42"},
        REMOTE_ADDR="198.51.100.23",
        headers={"X-Request-ID": "abcdef0123456789"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == user
    assert event.ip_address == "198.51.100.23"
    assert event.request_id == "abcdef0123456789"
    assert response["X-Request-ID"] == "abcdef0123456789"


def test_failed_login_is_recorded_without_the_typed_name(make_user, client):
    make_user(Role.MODERATOR, username="mina")

    response = client.post(reverse("accounts:login"), {"username": "mina", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    flush_failed_signins()
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.data["known_user"] is True
    assert event.data["count"] == 1
    assert event.ip_address == "127.0.0.1"
    assert "mina" not in str(event.data)


def test_failed_login_for_unknown_name_is_recorded(client):
    client.post(reverse("accounts:login"), {"username": "ghost", "password": "x"})
    flush_failed_signins()

    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.data["known_user"] is False
    assert event.target_id == ""


def test_logout_is_post_only_and_recorded(moderator, moderator_client):
    assert moderator_client.get(reverse("accounts:logout")).status_code == 405

    response = moderator_client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=moderator).exists()
    assert moderator_client.get(reverse("dashboard")).status_code == 302


def test_password_change_is_recorded_and_validated(make_user, client_for):
    user = make_user(Role.AUDITOR, password="correct-horse-42")
    client = client_for(user)
    url = reverse("accounts:password_change")

    weak = client.post(
        url,
        {"old_password": "correct-horse-42", "new_password1": "short", "new_password2": "short"},
    )
    assert weak.status_code == 200
    assert not AuditEvent.objects.filter(action="auth.password_changed").exists()

    good = client.post(
        url,
        {
            "old_password": "correct-horse-42",
            "new_password1": "a-much-better-passphrase-91",
            "new_password2": "a-much-better-passphrase-91",
        },
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase-91")
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=user).exists()


def test_x_request_id_is_generated_when_missing_or_malformed(moderator_client):
    response = moderator_client.get(reverse("dashboard"), headers={"X-Request-ID": "bad id!"})

    assert response["X-Request-ID"] != "bad id!"
    assert len(response["X-Request-ID"]) == 32


def test_forwarded_for_is_trusted_only_behind_configured_proxies(make_user, settings):
    from django.test import Client

    make_user(Role.MODERATOR, username="mina", password="correct-horse-42")
    creds = {"username": "mina", "password": "correct-horse-42"}
    spoof = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.9"}

    Client().post(reverse("accounts:login"), creds, **spoof)
    settings.TRUSTED_PROXY_COUNT = 1
    Client().post(reverse("accounts:login"), creds, **spoof)

    ips = list(
        AuditEvent.objects.filter(action="auth.login")
        .order_by("id")
        .values_list("ip_address", flat=True)
    )
    assert ips == ["10.0.0.5", "203.0.113.9"]
