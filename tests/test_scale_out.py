"""
Scale-out (issue 18), at small scale against real parts: two web processes (each its own
gunicorn, as two hosts behind a load balancer) and two Celery workers on one Redis broker,
sharing one PostgreSQL and one Redis cache.

Reports are sent to both web processes at once, and every batch is sent a second time to the
other process (a client retrying after a lost answer): each report is stored exactly once.
The cases are then decided and both workers deliver the platform's notices: each delivery
reaches the platform exactly once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from accounts.roles import Role
from accounts.token_services import api_token_issue
from accounts.tokens import SCOPES
from config.celery import app
from moderation.models import Case, Report
from moderation.services import bulk
from outbox.models import Delivery
from tests.api.payloads import report_json
from tests.moderation.factories import violation
from tests.utils import requires_postgres
from tests.workers import ROOT, celery_worker, database_url, new_queue

BROKER = os.environ.get("CELERY_BROKER_URL") or ""
# A Redis database of its own for the web processes' shared cache (rate limits, leases).
SHARED_CACHE = "redis://127.0.0.1:6379/13"
BATCHES = 12
PER_BATCH = 25

pytestmark = [
    pytest.mark.celery_worker,
    requires_postgres,
    pytest.mark.skipif(
        not BROKER.startswith("redis://"),
        reason="needs a real Redis broker (set CELERY_BROKER_URL=redis://...; CI does)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def web_process(env: dict[str, str]) -> Iterator[str]:
    """One gunicorn (one worker, four threads) on the test database; yields its base URL."""
    port = _free_port()
    log = Path(ROOT / "var" / f"gunicorn-{port}.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _answers(url + "/healthz"), seconds=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        print(log.read_text()[-2000:])
        log.unlink(missing_ok=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a local test server
            return True
    except OSError:
        return False


def _wait_for(done: Callable[[], bool], *, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.25)
    raise AssertionError(f"not done within {seconds} s")


def _post(url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - a local test server
        url + "/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


def test_two_web_processes_and_two_workers_lose_and_duplicate_nothing(platform, make_user):
    hook, received = platform
    _, token = api_token_issue(name="platform-scale-out", scopes=sorted(SCOPES))
    queue = new_queue()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_URL": SHARED_CACHE,
        "PLATFORM_WEBHOOK_URL": hook,
        "API_RATE_LIMIT_PER_MINUTE": "100000",
    }
    env.pop("CELERY_BROKER_WRITE_URL", None)
    batches = [
        {"reports": [report_json(reporter_id=f"scale-rep-{b % 5}") for _ in range(PER_BATCH)]}
        for b in range(BATCHES)
    ]
    worker_env = {"PLATFORM_WEBHOOK_URL": hook, "CACHE_URL": SHARED_CACHE}
    with ExitStack() as stack:
        webs = [stack.enter_context(web_process(env)) for _ in range(2)]
        for _ in range(2):
            stack.enter_context(celery_worker(queue, env=worker_env))

        # Each batch goes to one process and, at the same time, again to the other.
        sends = [(webs[i % 2], b) for i, b in enumerate(batches)]
        sends += [(webs[(i + 1) % 2], b) for i, b in enumerate(batches)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda s: _post(s[0], token, s[1]), sends))

        sent_ids = [r["external_id"] for b in batches for r in b["reports"]]
        assert all(a["results"] for a in answers)
        stored = Counter(Report.objects.values_list("external_id", flat=True))
        assert set(stored) == set(sent_ids)
        assert max(stored.values()) == 1
        assert Report.objects.count() == BATCHES * PER_BATCH

        # Decide every case in one bulk job; both workers share its deliveries.
        stack.callback(
            _restore, {k: app.conf[k] for k in ("task_always_eager", "task_default_queue")}
        )
        app.conf.task_always_eager = False
        app.conf.task_default_queue = queue
        senior = make_user(Role.SENIOR_MODERATOR)
        cases = list(Case.objects.values_list("pk", flat=True))
        job = bulk.bulk_job_start(
            actor=senior, case_ids=cases, filters=None, decision=violation(), expected=len(cases)
        )
        _wait_for(lambda: _finished(job.pk), seconds=180)
        _wait_for(
            lambda: (
                Delivery.objects.exists()
                and not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()
            ),
            seconds=180,
        )
        time.sleep(1)  # a duplicate, if any, would arrive now

    deliveries = Delivery.objects.count()
    assert deliveries >= 2 * len(cases)  # enforcement and a reporter notice per case at least
    keys = Counter(json.dumps(body, sort_keys=True) for body in received.received)
    assert len(received.received) == deliveries
    assert max(keys.values()) == 1


def _restore(saved: dict[str, object]) -> None:
    for key, value in saved.items():
        app.conf[key] = value


def _finished(job_id: int) -> bool:
    from moderation.models import BulkJob

    return BulkJob.objects.get(pk=job_id).status == BulkJob.Status.FINISHED
