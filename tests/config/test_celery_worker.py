"""A real Celery worker process runs a real task end to end against the real database."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from config.celery import app
from tests.workers import celery_worker, new_queue

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(transactional_db):
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("the worker needs a file or server database to share with the test")
    queue = new_queue()
    with celery_worker(queue):
        yield queue


@pytest.mark.celery_worker
def test_worker_purges_expired_sessions_end_to_end(worker):
    expired = SessionStore()
    expired.create()
    live = SessionStore()
    live.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )

    result = app.send_task("accounts.tasks.purge_expired_sessions", queue=worker)
    deleted = result.get(timeout=90)

    assert deleted == 1
    assert not Session.objects.filter(session_key=expired.session_key).exists()
    assert Session.objects.filter(session_key=live.session_key).exists()


@pytest.mark.django_db
def test_beat_schedule_names_only_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_broker_is_what_the_environment_says():
    expected = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
    from config.health import check_broker

    assert settings.CELERY_BROKER_URL == expected  # noqa: SIM300
    assert check_broker()["ok"] is True
