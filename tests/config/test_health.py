from __future__ import annotations

import logging
import os

import pytest
from django.urls import reverse
from kombu import Connection

from accounts.roles import Role
from config import health

pytestmark = pytest.mark.django_db

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # a closed local port: a real, failing connection


@pytest.fixture(autouse=True)
def fresh_probe():
    """Each test starts without a kept broker connection or a remembered answer."""
    health.broker_probe.reset()
    yield
    health.broker_probe.reset()


@pytest.fixture
def unreachable_broker(settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}


@pytest.fixture
def connections_opened(monkeypatch):
    """Counts every broker connection kombu establishes (whatever the transport)."""
    opened: list[Connection] = []
    original = Connection._establish_connection

    def counting(self):
        opened.append(self)
        return original(self)

    monkeypatch.setattr(Connection, "_establish_connection", counting)
    return opened


def test_healthz_is_public_and_says_only_ok(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_and_names_nothing_when_the_broker_is_unreachable(
    client, unreachable_broker, caplog
):
    with caplog.at_level(logging.WARNING, logger="config.health"):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.content == b"unavailable"
    # The cause is in the log, not in the public answer.
    assert "broker" in caplog.text
    assert "redis" in caplog.text
    assert b"redis" not in response.content


def test_healthz_is_503_when_the_database_fails(client, monkeypatch, caplog):
    def broken_database():
        return {"ok": False, "vendor": "sqlite", "error": "OperationalError", "ms": 1.0}

    monkeypatch.setattr(health, "check_database", broken_database)

    with caplog.at_level(logging.WARNING, logger="config.health"):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.content == b"unavailable"
    assert "OperationalError" in caplog.text


def test_check_database_reports_a_failing_query(monkeypatch):
    from django.db import connection

    class Boom(Exception):
        pass

    def cursor():
        raise Boom

    monkeypatch.setattr(connection, "cursor", cursor)
    result = health.check_database()

    assert (result["ok"], result["vendor"], result["error"]) == (False, connection.vendor, "Boom")


def test_repeated_probes_open_at_most_one_broker_connection(client, connections_opened):
    for _ in range(20):
        assert client.get(reverse("healthz")).status_code == 200

    assert len(connections_opened) <= 1


def test_the_kept_connection_is_reused_after_the_answer_expires(connections_opened):
    probe = health.BrokerProbe(ttl=0)  # every call really checks the broker

    try:
        answers = [probe.check() for _ in range(10)]
    finally:
        probe.reset()

    assert all(answer["ok"] for answer in answers)
    assert len(connections_opened) == 1


def test_a_failed_check_drops_the_connection_and_the_next_one_reconnects(settings):
    probe = health.BrokerProbe(ttl=0)
    try:
        assert probe.check()["ok"] is True
        settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

        failed = probe.check()
    finally:
        probe.reset()

    assert failed["ok"] is False
    assert failed["transport"] == "redis"
    assert failed["error"]


@pytest.mark.skipif(
    not (os.environ.get("CELERY_BROKER_URL") or "").startswith("redis://"),
    reason="counts sockets to a real Redis broker (set CELERY_BROKER_URL=redis://...)",
)
def test_probing_a_redis_broker_opens_one_socket(client, monkeypatch):
    import redis.connection

    sockets: list[object] = []
    original = redis.connection.Connection._connect

    def counting(self):
        sockets.append(self)
        return original(self)

    monkeypatch.setattr(redis.connection.Connection, "_connect", counting)
    monkeypatch.setattr(health.broker_probe, "ttl", 0)  # every probe talks to Redis

    for _ in range(20):
        assert client.get(reverse("healthz")).status_code == 200

    assert len(sockets) == 1


def test_status_page_shows_each_check_to_administrators(
    administrator, client_for, unreachable_broker
):
    response = client_for(administrator).get(reverse("system_status"))

    assert response.status_code == 200
    body = response.content.decode()
    for name in ("database", "broker", "cache"):
        assert f'data-check="{name}"' in body
    assert "Failing" in body
    assert "redis" in body


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.LEGAL_OFFICER, Role.AUDITOR])
def test_status_page_is_refused_to_other_roles(make_user, client_for, role):
    response = client_for(make_user(role)).get(reverse("system_status"))

    assert response.status_code == 403


def test_status_page_needs_a_login(client):
    response = client.get(reverse("system_status"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
