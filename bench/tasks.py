"""
One run of each periodic task (issue item 8): deadline re-scoring, audit sealing, evidence
purge, as the beat schedule (config.settings.base.CELERY_BEAT_SCHEDULE) calls them.

Each run happens inside a transaction rolled back afterwards, so every repeat, and both
stages, start from the same data. The tasks' own `atomic(durable=True)` blocks become
savepoints in there, as under Django's TestCase; what is not measured is the final COMMIT's
flush, the same small cost at both stages.

The work is the same at both stages: what a beat interval brings at a fixed inflow, not a
share of the table. The deadline run is given a `now` at which the same number of cases
are due (`DEADLINE_DUE`); the sealer finds the same number of unsealed events
(bench.data leaves `seal_pending` of them); the purge finds what retention leaves to do.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from bench.core import Context

# Cases due for re-scoring in one run: two of the task's chunks (REFRESH_CHUNK = 500).
DEADLINE_DUE = 1_000

# The figures `measure` adds at each stage (keys without the stage suffix).
FIGURES = ("task.deadlines", "task.seal", "task.purge")


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction the block's changes never leave; durable blocks inside nest in it."""
    atomic = transaction.atomic()
    # As django.test.TestCase marks its own blocks: a durable block may open inside.
    atomic._from_testcase = True  # type: ignore[attr-defined]
    atomic.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def timed_runs(fn: Callable[[], Any], *, repeat: int) -> tuple[float, Any]:
    """Median seconds of `fn` over `repeat` rolled-back runs after a warm-up, and its result."""
    times = []
    result = None
    for n in range(repeat + 1):
        with rolled_back():
            started = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - started
        if n:
            times.append(elapsed)
    return statistics.median(times), result


def deadline_now(due: int) -> tuple[datetime, int]:
    """The instant at which `due` active cases have their score due to change (fewer if fewer)."""
    from moderation.models import Case

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT score_changes_at FROM {Case._meta.db_table} "  # noqa: S608 (a model's table)
            "WHERE score_changes_at IS NOT NULL ORDER BY score_changes_at OFFSET %s LIMIT 1",
            [due - 1],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"SELECT max(score_changes_at), count(*) FROM {Case._meta.db_table} "  # noqa: S608 (a model's table)
                "WHERE score_changes_at IS NOT NULL"
            )
            last, n = cursor.fetchone()
            return last, int(n)
    return row[0], due


def _figure(ctx: Context, key: str, label: str, seconds: float, **extra: Any) -> None:
    ctx.figure(
        f"{key}",
        f"{label}, {ctx.cases():,} cases",
        seconds,
        "s",
        runs=ctx.scale.repeat,
        extra=extra,
    )


def measure(ctx: Context) -> None:
    from audit import tasks as audit_tasks
    from moderation.services import priority, retention

    repeat = max(3, ctx.scale.repeat // 2)
    due = min(DEADLINE_DUE, max(10, ctx.scale.small_cases // 10))
    now, found = deadline_now(due)
    seconds, rescored = timed_runs(lambda: priority.cases_refresh_deadlines(now=now), repeat=repeat)
    _figure(
        ctx,
        "task.deadlines",
        f"Deadline re-scoring run ({found:,} due)",
        seconds,
        due=found,
        rescored=rescored,
        now=now.isoformat(),
    )

    # The Celery task itself (seal until nothing is left), called in-process.
    seconds, sealed = timed_runs(lambda: audit_tasks.seal(), repeat=repeat)
    _figure(ctx, "task.seal", f"Audit sealing run ({sealed:,} events)", seconds, sealed=sealed)

    data_now = ctx.facts.now
    seconds, summary = timed_runs(lambda: retention.evidence_purge(now=data_now), repeat=repeat)
    _figure(
        ctx,
        "task.purge",
        "Evidence purge run",
        seconds,
        summary=getattr(summary, "__dict__", str(summary)),
    )
    ctx.results.figures[f"task.deadlines.{ctx.stage}"].runs = repeat
    ctx.results.figures[f"task.seal.{ctx.stage}"].runs = repeat
    ctx.results.figures[f"task.purge.{ctx.stage}"].runs = repeat
