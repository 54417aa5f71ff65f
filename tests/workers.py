"""Real Celery worker processes for tests: on the test database, on a queue of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the test database this process uses, for a worker to use too."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path, queue: str) -> None:
        self.process, self.log, self.queue = process, log, queue

    def kill(self) -> None:
        """The whole worker dies at once (SIGKILL): no clean shutdown, no message acknowledged."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


@contextmanager
def celery_worker(
    queue: str, *, env: dict[str, str] | None = None, pool: str = "solo"
) -> Iterator[Worker]:
    """
    Start `celery worker` consuming only `queue` (also its default queue, so the tasks it
    publishes stay with it), and stop it on exit, printing the end of its log.
    """
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **(env or {}),
    }
    environment.pop("CELERY_BROKER_WRITE_URL", None)  # a test's stand-in outage stays its own
    if os.environ.get("CELERY_RESULT_BACKEND"):
        environment["CELERY_RESULT_BACKEND"] = os.environ["CELERY_RESULT_BACKEND"]
    (ROOT / "var").mkdir(exist_ok=True)
    log = ROOT / "var" / f"worker-{queue}-{uuid.uuid4().hex[:6]}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                pool,
                "--queues",
                queue,
                "--loglevel",
                "INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() takes every child
        )
    worker = Worker(process, log, queue)
    try:
        yield worker
    finally:
        worker.stop()
        print(log.read_text()[-3000:])
        log.unlink(missing_ok=True)
