"""
Liveness and readiness for load balancers and `make run`, and the details for administrators.

`/healthz` is public, so it says only "ok" or "unavailable"; which check failed and why goes
to the log and to the administrators' status page. A load balancer probes every few
seconds from every node: the broker check reuses one connection per process (opened on the
first check, opened again only after a failure) and keeps its answer for
BROKER_CHECK_TTL_SECONDS, so probing does not open a broker connection per call.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

BROKER_CHECK_TTL_SECONDS = 5.0
BROKER_TIMEOUT_SECONDS = 2.0


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def check_database() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"; the type is the message
        return {
            "ok": False,
            "vendor": connection.vendor,
            "error": type(exc).__name__,
            "ms": _elapsed_ms(started),
        }
    return {"ok": True, "vendor": connection.vendor, "ms": _elapsed_ms(started)}


def check_cache() -> dict[str, Any]:
    """A write and a read through Django's cache (the API's rate limits live there)."""
    backend = type(cache).__name__
    key, value = "health:probe", uuid.uuid4().hex
    started = time.monotonic()
    try:
        cache.set(key, value, timeout=30)
        if cache.get(key) != value:
            raise LookupError("the value written was not read back")
    except Exception as exc:
        return {
            "ok": False,
            "backend": backend,
            "error": type(exc).__name__,
            "ms": _elapsed_ms(started),
        }
    return {"ok": True, "backend": backend, "ms": _elapsed_ms(started)}


class BrokerProbe:
    """
    One broker connection per process, reused by every check, and the last answer for a while.

    The connection comes from the Celery app (its broker options, such as TLS) for the
    broker URL in Django's settings; a change of URL (tests) or a failed check closes it, so
    the next check connects afresh. Checks are serialised: concurrent probes wait for the
    one running instead of each opening a connection.
    """

    def __init__(self, ttl: float = BROKER_CHECK_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._connection: Any = None
        self._key: tuple[str, str] | None = None
        self._answer: dict[str, Any] | None = None
        self._checked_at = 0.0

    def check(self, *, timeout: float = BROKER_TIMEOUT_SECONDS, fresh: bool = False) -> dict:
        key = (settings.CELERY_BROKER_URL, repr(settings.CELERY_BROKER_TRANSPORT_OPTIONS))
        with self._lock:
            if key != self._key:
                self._close()
                self._key = key
            recent = time.monotonic() - self._checked_at < self.ttl
            if self._answer is not None and recent and not fresh:
                return dict(self._answer)
            self._answer = self._probe(timeout)
            self._checked_at = time.monotonic()
            return dict(self._answer)

    def reset(self) -> None:
        with self._lock:
            self._close()
            self._key, self._answer, self._checked_at = None, None, 0.0

    def _probe(self, timeout: float) -> dict[str, Any]:
        transport = settings.CELERY_BROKER_URL.split("://", 1)[0]
        started = time.monotonic()
        try:
            if self._connection is None:
                self._connection = self._connect(timeout)
            self._connection.ensure_connection(max_retries=1, timeout=timeout)
            self._round_trip(self._connection)
        except Exception as exc:
            self._close()
            return {
                "ok": False,
                "transport": transport,
                "error": type(exc).__name__,
                "ms": _elapsed_ms(started),
            }
        return {"ok": True, "transport": transport, "ms": _elapsed_ms(started)}

    @staticmethod
    def _connect(timeout: float) -> Any:
        from config.celery import app

        return app.connection_for_write(
            url=settings.CELERY_BROKER_URL,
            connect_timeout=timeout,
            transport_options=dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
        )

    @staticmethod
    def _round_trip(conn: Any) -> None:
        """Prove a kept connection still answers: a kept socket may be dead by now."""
        if conn.transport.driver_type == "redis":
            conn.default_channel.client.ping()
        elif not conn.connected:
            raise ConnectionError("the broker connection is closed")

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection may fail too; it is dropped anyway
                logger.debug("Closing the broker connection failed.", exc_info=True)
        self._connection = None


broker_probe = BrokerProbe()


def check_broker(timeout: float = BROKER_TIMEOUT_SECONDS, *, fresh: bool = False) -> dict:
    return broker_probe.check(timeout=timeout, fresh=fresh)


def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Whether the database and the broker answer; the failures are logged with their causes."""
    checks = {"database": check_database(), "broker": check_broker()}
    ready = all(check["ok"] for check in checks.values())
    if not ready:
        failed = {name: check for name, check in checks.items() if not check["ok"]}
        logger.warning("Readiness check failed: %s", failed)
    return ready, checks


def status_report() -> dict[str, dict[str, Any]]:
    """Every dependency, checked now (the broker on its kept connection), for administrators."""
    return {
        "database": check_database(),
        "broker": check_broker(fresh=True),
        "cache": check_cache(),
        "outbox": check_outbox(),
    }


# Deliveries waiting longer than this mean the relay or the platform is not keeping up.
OUTBOX_LAG_WARNING_SECONDS = 5 * 60


def check_outbox() -> dict[str, Any]:
    """Deliveries not yet accepted by the platform: how many, and the oldest one's age."""
    from outbox.selectors import outbox_health

    started = time.monotonic()
    try:
        outbox = outbox_health()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__, "ms": _elapsed_ms(started)}
    oldest = outbox.oldest_seconds
    return {
        "ok": (oldest is None or oldest < OUTBOX_LAG_WARNING_SECONDS) and not outbox.failed,
        "waiting": outbox.waiting,
        "failed": outbox.failed,
        "oldest_seconds": oldest,
        "error": "" if not outbox.failed else "failed deliveries",
        "ms": _elapsed_ms(started),
    }
