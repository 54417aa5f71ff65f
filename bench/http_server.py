"""
The application under gunicorn for the intake measurement (bench.intake): a server of its
own on a free port, and API clients sending reports to it from several threads.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from bench.throughput_util import in_threads

URL = "/api/v1/reports"
CLIENTS = 4
WORKERS = 2


class IntakeFailed(RuntimeError):
    """The API refused or failed a benchmark request: the figure would be meaningless."""


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """gunicorn serving config.wsgi on the benchmark database, for the length of a `with`."""

    def __init__(self, workers: int = WORKERS) -> None:
        self.port = _free_port()
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(settings.VAR_DIR) / "bench-gunicorn.log"

    def __enter__(self) -> Gunicorn:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "config.settings.dev"
            ),
            "DATABASE_URL": _database_url(),
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback
            # The per-token budget would throttle the benchmark itself.
            "API_RATE_LIMIT_PER_MINUTE": str(10**9),
        }
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(self.workers),
                 "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level",
                 "warning"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._wait()
        return self

    def _wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise IntakeFailed(f"gunicorn exited; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise IntakeFailed(f"gunicorn did not answer within {timeout:.0f}s; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Client:
    """One platform back end: a keep-alive HTTP connection (reopened when the server closes)."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, body: Any) -> tuple[int, Any, float]:
        data = json.dumps(body).encode()
        started = time.perf_counter()
        try:
            self.conn.request("POST", URL, body=data, headers=self.headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.conn.close()  # the server closed an idle connection: open a new one
            self.conn.request("POST", URL, body=data, headers=self.headers)
            response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, json.loads(payload or b"null"), elapsed

    def close(self) -> None:
        self.conn.close()


def chunks(items: list[Any], n: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), n):
        yield items[start : start + n]


def _send(port: int, token: str, bodies: list[Any], expect: int) -> list[float]:
    """Post each body in turn on one connection; the latency of each."""
    client = Client(port, token)
    latencies = []
    try:
        for body in bodies:
            status, answer, elapsed = client.post(body)
            if status != expect:
                raise IntakeFailed(f"{URL} answered {status}: {str(answer)[:500]}")
            if isinstance(body, dict) and "reports" in body and answer["rejected"]:
                raise IntakeFailed(f"rejected reports: {str(answer['rejected'])[:500]}")
            latencies.append(elapsed)
    finally:
        client.close()
    return latencies


def concurrently(
    port: int, token: str, bodies: list[Any], expect: int
) -> tuple[float, list[float]]:
    """Spread `bodies` over CLIENTS threads; wall time and every request's latency."""
    shares = [bodies[i::CLIENTS] for i in range(CLIENTS)]
    latencies, elapsed = in_threads(
        [functools.partial(_send, port, token, share, expect) for share in shares if share]
    )
    return elapsed, [x for part in latencies for x in part]
