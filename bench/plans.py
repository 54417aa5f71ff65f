"""
EXPLAIN of what the hot paths really run: the queries are captured while the project's own
code runs (queue selector, case page view, single-report intake, extraction's IP records),
then each SELECT is explained with ANALYZE, each write without it. A sequential scan of a
table over LARGE_TABLE rows is a plan problem (results.plan_problems).

Capturing rather than re-writing the queries means a change to a selector or a service is
explained as it now is; intake runs in a rolled-back transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import data
from bench.core import Context
from bench.tasks import rolled_back

SQL_SHOWN = 800
LARGE_TABLE = 10_000
_SEQ_SCAN = re.compile(r"Seq Scan on (\S+)")
_EXPLAINABLE = ("SELECT", "WITH", "UPDATE", "DELETE")


def _captured(fn: Callable[[], Any]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return [q["sql"] for q in captured.captured_queries]


def _row_estimates() -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace"
        )
        return {name: float(rows) for name, rows in cursor.fetchall()}


def explain(ctx: Context, name: str, queries: list[str], sizes: dict[str, float]) -> None:
    """EXPLAIN each query; record the plans and any sequential scan of a large table."""
    n = 0
    for sql in queries:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head not in _EXPLAINABLE:
            continue
        # ANALYZE runs the statement: only reads, and locking reads are run as plain reads.
        analyze = head in ("SELECT", "WITH") and "FOR UPDATE" not in sql.upper()
        n += 1
        key = f"{name}.{n}.{ctx.stage}"
        with connection.cursor() as cursor:
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        # The statement shortened (an IN list of 500 ids says nothing more): the JSON stays
        # small enough to commit with the table.
        shown = sql if len(sql) <= SQL_SHOWN else f"{sql[:SQL_SHOWN]} …"
        ctx.results.plans[key] = f"{shown}\n\n{plan}"
        for table in set(_SEQ_SCAN.findall(plan)):
            rows = sizes.get(table, 0)
            if rows > LARGE_TABLE:
                ctx.results.plan_problems.append(
                    f"{ctx.stage}: Seq Scan on {table} ({rows:,.0f} rows) in {key}: "
                    f"{' '.join(sql.split())[:160]}"
                )


def _intake_one(ctx: Context) -> Callable[[], Any]:
    """A single new report about an existing subject by the prolific author (as the API does)."""
    from django.utils import timezone

    from moderation.models import Subject
    from moderation.services.intake import reports_ingest
    from moderation.services.intake_inputs import ReportInput, SubjectInput

    subject = (
        Subject.objects.filter(author_id=ctx.facts.prolific_author, type="message")
        .order_by("-id")
        .first()
    )
    assert subject is not None
    item = ReportInput(
        external_id=f"bench-plan-{ctx.stage}",
        category="spam" if _has_category("spam") else _any_category(),
        source="user",
        reporter_id="reporter-1",
        description="plan",
        reported_at=timezone.now(),
        subject=SubjectInput(
            type=subject.type,
            platform_id=subject.platform_id,
            author_id=f"acct-{ctx.facts.prolific_author}",
            chat_id=subject.chat_id,
            chat_kind=subject.chat_kind,
            text="plan",
        ),
    )
    return lambda: reports_ingest(items=[item])


def _has_category(code: str) -> bool:
    from moderation.models import Category

    return Category.objects.filter(code=code).exists()


def _any_category() -> str:
    from moderation.models import Category

    found = Category.objects.order_by("pk").values_list("code", flat=True).first()
    assert found is not None
    return found


def measure(ctx: Context) -> None:
    from bench.pages import deep_position
    from disclosures.subscriber import subscriber_source
    from moderation.selectors.queue import QueueCursor, QueueFilters, queue_counts, queue_page

    sizes = _row_estimates()
    filters = QueueFilters()
    explain(ctx, "queue.first", _captured(lambda: queue_page(filters=filters)), sizes)
    priority, pk, _depth = deep_position()
    cursor = QueueCursor(priority, pk).encode()
    explain(ctx, "queue.deep", _captured(lambda: queue_page(filters=filters, cursor=cursor)), sizes)
    explain(ctx, "queue.counts", _captured(lambda: queue_counts(filters=filters)), sizes)

    client = data.logged_in_client(data.MODERATORS[0])
    case_url = f"/moderation/cases/{ctx.facts.prolific_case}/"
    explain(ctx, "case.prolific", _captured(lambda: client.get(case_url)), sizes)

    ingest = _intake_one(ctx)
    with rolled_back():
        queries = _captured(ingest)
        explain(ctx, "intake.single", queries, sizes)

    # The periodic tasks, run as bench.tasks runs them (rolled back).
    from bench.tasks import DEADLINE_DUE, deadline_now
    from moderation.services import priority as priority_service
    from moderation.services import retention

    due = min(DEADLINE_DUE, max(10, ctx.scale.small_cases // 10))
    now, _found = deadline_now(due)
    with rolled_back():
        explain(
            ctx,
            "task.deadlines",
            _captured(lambda: priority_service.cases_refresh_deadlines(now=now)),
            sizes,
        )
    with rolled_back():
        purge_now = ctx.facts.now
        explain(
            ctx, "task.purge", _captured(lambda: retention.evidence_purge(now=purge_now)), sizes
        )

    facts = ctx.facts
    start, end = facts.ip_window
    source = subscriber_source()
    explain(
        ctx,
        "extraction.ips",
        _captured(
            lambda: source.ip_records(
                account_ids=[facts.ip_account_platform_id],
                start=start,
                end=end + timedelta(seconds=1),
            )
        ),
        sizes,
    )
