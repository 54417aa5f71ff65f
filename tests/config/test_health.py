from __future__ import annotations

import pytest
from django.urls import reverse

from config import health

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_reports_both_checks(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    # A closed local port: a real connection attempt that fails, not a mock.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"] == {
        "ok": False,
        "transport": "redis",
        "error": body["checks"]["broker"]["error"],
    }
    assert body["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    def broken_database():
        return {"ok": False, "vendor": "sqlite", "error": "OperationalError"}

    monkeypatch.setattr(health, "check_database", broken_database)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False


def test_check_database_reports_a_failing_query(monkeypatch):
    from django.db import connection

    class Boom(Exception):
        pass

    def cursor():
        raise Boom

    monkeypatch.setattr(connection, "cursor", cursor)
    assert health.check_database() == {"ok": False, "vendor": connection.vendor, "error": "Boom"}
