"""Repeated failed logins lock the account (django-axes), recorded in the audit trail."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

import audit
from audit.models import AuditEvent
from tests.accounts.helpers import flush_failed_signins

PASSWORD = "correct-horse-42"


@pytest.fixture
def victim(make_user):
    return make_user(username="victim", password=PASSWORD)


def _login(client: Client, password: str):
    return client.post(reverse("accounts:login"), {"username": "victim", "password": password})


def test_lockout_five_failures_refuse_even_the_right_password(victim):
    client = Client()
    for _ in range(5):
        _login(client, "wrong-password")

    response = _login(client, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_recorded_in_the_audit_trail_without_the_username(victim):
    client = Client()
    for _ in range(5):
        _login(client, "wrong-password")
    _login(client, PASSWORD)
    flush_failed_signins()

    event = AuditEvent.objects.get(action="auth.locked_out")  # one per lock, not per attempt
    assert event.target_id == str(victim.pk)
    assert event.data["username_digest"] == audit.pii_digest("victim")
    assert "victim" not in str(event.data)
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert sum(e.data["count"] for e in failed) == 6  # the refused right password counts too
    assert "victim" not in str([e.data for e in failed])


def test_lockout_counter_resets_after_a_successful_login(victim):
    client = Client()
    for _ in range(4):
        _login(client, "wrong-password")
    assert _login(client, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))

    for _ in range(4):
        _login(client, "wrong-password")
    response = _login(client, PASSWORD)

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="auth.locked_out").exists()
