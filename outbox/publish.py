"""
Handing tasks to the broker without ever letting the broker decide an HTTP answer.

A change is saved first; its work (a delivery, a bulk job, a verification run) is recorded in
the database, and the task that does it is published after commit. If the broker is down, the
publish fails within PUBLISH_TIMEOUT_SECONDS, is logged, and the work waits in its table for
the relay (`outbox.relay`), which publishes it again once the broker answers. After a failed
publish this process stops trying for BREAKER_SECONDS, so a broker outage costs one short
timeout, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 0.5
BREAKER_SECONDS = 10.0

_lock = threading.Lock()
_broken_until = 0.0


def breaker_open() -> bool:
    """Whether a publish failed in this process in the last BREAKER_SECONDS."""
    return time.monotonic() < _broken_until


def _trip() -> None:
    global _broken_until
    with _lock:
        _broken_until = time.monotonic() + BREAKER_SECONDS


def reset_breaker() -> None:
    global _broken_until
    with _lock:
        _broken_until = 0.0


def publish(task: Task, /, **kwargs: Any) -> bool:
    """
    Publish one task now; True when the broker took it. False (logged) when the broker is
    unreachable or was a moment ago: the caller's recorded work is then left to the relay.
    """
    app = task.app
    if app.conf.task_always_eager:  # tests: run in-process, errors propagate as configured
        task.apply_async(kwargs=kwargs)
        return True
    if breaker_open():
        return False
    try:
        with app.connection_for_write(connect_timeout=PUBLISH_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                interval_max=0,
                timeout=PUBLISH_TIMEOUT_SECONDS,
            )
            # No result subscription: these tasks are fire-and-forget, and subscribing would
            # wait for the result backend too.
            task.apply_async(kwargs=kwargs, connection=connection, retry=False, ignore_result=True)
    except Exception:  # any broker failure: the relay publishes the recorded work later
        _trip()
        logger.warning("Publishing %s failed; the relay will retry it.", task.name, exc_info=True)
        return False
    return True


def publish_after_commit(task: Task, /, **kwargs: Any) -> None:
    """Publish once the caller's transaction commits (never for a rolled-back change)."""
    transaction.on_commit(lambda: publish(task, **kwargs))
