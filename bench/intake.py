"""
Report intake through the HTTP API under gunicorn (issue 18, item 4): several concurrent
clients, one report per request and batches of 500, against a raw COPY of the same rows into
the same indexed tables (accounts, reporters, subjects, cases, reports) in a transaction that
is rolled back.

gunicorn runs as a subprocess (2 sync workers, config.wsgi) on a free port against the
benchmark database. The reports, cases and subjects the requests created are deleted
afterwards, and so is the API token. Adds rows: the requests' platform accounts and reporters
(one of each per report, 97 reporters per run; no subject refers to them any more), one
`reports.received` audit event per request and the token's `api_token.issued` event (the audit
trail is append-only). The messages intake publishes for the detectors go to
the environment's broker (CELERY_BROKER_URL, as the benchmark process has it): point it at a
broker no worker consumes from, or the workers will look for the deleted reports.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench.core import Context
from bench.http_server import CLIENTS, WORKERS, Gunicorn, IntakeFailed, chunks, concurrently
from bench.throughput_util import (
    copy_rows,
    delete_rows,
    full_scale,
    ids_where,
    max_id,
    rolled_back_seconds,
)

BATCH = 500
REPORTERS = 97  # a batch's reports come from fewer reporters than reports
CHATS = 50


# --- the rows -----------------------------------------------------------------------------------
def report_payloads(prefix: str, n: int, *, category: str, now: datetime) -> list[dict[str, Any]]:
    """`n` valid report bodies, each about a new message of a new author."""
    reported = (now - timedelta(minutes=5)).isoformat()
    posted = (now - timedelta(hours=2)).isoformat()
    return [
        {
            "external_id": f"{prefix}r{i}",
            "category": category,
            "source": "user",
            "reporter_id": f"{prefix}p{i % REPORTERS}",
            "description": "Unsolicited advertising.",
            "reported_at": reported,
            "language": "en",
            "subject": {
                "type": "message",
                "platform_id": f"{prefix}m{i}",
                "author_id": f"{prefix}a{i}",
                "author_username": f"author{i}",
                "chat_id": f"{prefix}c{i % CHATS}",
                "chat_kind": "group",
                "text": f"Buy cheap followers now, message number {i}",
                "posted_at": posted,
            },
        }
        for i in range(n)
    ]


def copy_payloads(payloads: list[dict[str, Any]], *, category_id: int) -> None:
    """COPY the rows intake would write for `payloads` (run inside a transaction)."""
    now = timezone.now()
    deadline = now + timedelta(hours=24)
    account0, reporter0 = max_id("moderation_platformaccount"), max_id("moderation_reporter")
    subject0, case0 = max_id("moderation_subject"), max_id("moderation_case")
    report0 = max_id("moderation_report")
    reporters = sorted({p["reporter_id"] for p in payloads})
    reporter_id = {r: reporter0 + 1 + i for i, r in enumerate(reporters)}
    copy_rows(
        "moderation_platformaccount",
        ["id", "platform_id", "username", "display_name", "kind", "first_seen_at"],
        (
            (account0 + 1 + i, p["subject"]["author_id"], p["subject"]["author_username"], "",
             "user", now)
            for i, p in enumerate(payloads)
        ),
    )  # fmt: skip
    copy_rows(
        "moderation_reporter",
        ["id", "platform_id", "reports_resolved", "reports_actioned", "mute_reason"],
        ((reporter_id[r], r, 0, 0, "") for r in reporters),
    )
    copy_rows(
        "moderation_subject",
        ["id", "type", "platform_id", "chat_id", "chat_kind", "first_reported_at", "author_id",
         "chat_title"],
        (
            (subject0 + 1 + i, "message", p["subject"]["platform_id"], p["subject"]["chat_id"],
             "group", now, account0 + 1 + i, "")
            for i, p in enumerate(payloads)
        ),
    )  # fmt: skip
    copy_rows(
        "moderation_case",
        ["id", "status", "subject_type", "language", "has_user_notice", "has_trusted_flagger",
         "has_authority", "has_automated", "report_count", "reporter_count", "max_signal_score",
         "priority", "priority_explanation", "deadline_at", "escalation", "escalation_note",
         "created_at", "updated_at", "category_id", "subject_id", "held_report_count"],
        (
            (case0 + 1 + i, "open", "message", "en", True, False, False, False, 1, 1, 0, 100,
             "{}", deadline, "", "", now, now, category_id, subject0 + 1 + i, 0)
            for i in range(len(payloads))
        ),
    )  # fmt: skip
    copy_rows(
        "moderation_report",
        ["id", "external_id", "source", "flagger_name", "description", "reported_at",
         "received_at", "language", "content_text", "content_type", "media_sha256", "media_url",
         "deep_link", "chat_id", "posted_at", "case_id", "category_id", "reporter_id",
         "subject_id", "language_detected", "context", "held", "media_pdq", "search_query",
         "evidence_provenance"],
        (
            (report0 + 1 + i, p["external_id"], p["source"], "", p["description"],
             p["reported_at"], now, "en", p["subject"]["text"], "text", "", "", "",
             p["subject"]["chat_id"], p["subject"]["posted_at"], case0 + 1 + i, category_id,
             reporter_id[p["reporter_id"]], subject0 + 1 + i, False, "[]", "", "", "",
             "platform")
            for i, p in enumerate(payloads)
        ),
    )  # fmt: skip


def copy_seconds(payloads: list[dict[str, Any]], *, category_id: int) -> float:
    """Wall time of the raw COPY of `payloads`' rows, foreign keys checked, then rolled back."""

    def write() -> None:
        with connection.cursor() as cursor:
            # Checked as each row goes in, as intake's commit checks them: a rolled-back
            # transaction would otherwise never check its deferred foreign keys.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        copy_payloads(payloads, category_id=category_id)

    return rolled_back_seconds(write)


def cleanup(prefix: str) -> None:
    """
    Delete the reports, cases and subjects the requests with this prefix created. Their
    accounts and reporters stay (rows nothing else reads): the data generator draws authors
    and reporters from the whole id range, which must have no holes.
    """
    like = [prefix.replace("_", r"\_") + "%"]
    with transaction.atomic():
        reports = ids_where("moderation_report", "external_id LIKE %s", like)
        subjects = ids_where("moderation_subject", "platform_id LIKE %s", like)
        cases = ids_where("moderation_case", "subject_id = ANY(%s)", [subjects])
        delete_rows("moderation_report", reports)
        delete_rows("moderation_case", cases)
        delete_rows("moderation_subject", subjects)


# --- the measurement ----------------------------------------------------------------------------
def _token() -> tuple[Any, str]:
    from accounts.token_services import api_token_issue

    return api_token_issue(name=f"bench-intake-{uuid.uuid4().hex[:12]}", scopes=["reports"])


def _category() -> tuple[str, int]:
    from moderation.models import Category

    found = Category.objects.filter(code="spam").first() or Category.objects.order_by("pk").first()
    if found is None:
        raise IntakeFailed("no report category in the benchmark database")
    return found.code, found.pk


def measure(ctx: Context) -> None:
    full = full_scale(ctx)
    singles = 240 if full else 24
    batches = 12 if full else 2
    stage = ctx.stage
    prefix = f"bench-{stage}-{uuid.uuid4().hex[:8]}-"
    code, category_id = _category()
    now = timezone.now()
    single_bodies = report_payloads(prefix + "s", singles, category=code, now=now)
    batch_rows = report_payloads(prefix + "b", batches * BATCH, category=code, now=now)
    warm_bodies = report_payloads(prefix + "w", 2 * CLIENTS, category=code, now=now)
    runs = min(ctx.scale.repeat, 3)
    copy_times = [copy_seconds(batch_rows, category_id=category_id) for _ in range(runs)]
    token, secret = _token()
    try:
        with Gunicorn() as server:
            # Warm up both workers: imports, connections, the first plans.
            concurrently(server.port, secret, warm_bodies, 201)
            single_wall, single_latencies = concurrently(server.port, secret, single_bodies, 201)
            batch_wall, batch_latencies = concurrently(
                server.port, secret, [{"reports": c} for c in chunks(batch_rows, BATCH)], 200
            )
    finally:
        cleanup(prefix)
        token.delete()
    cases = f"{ctx.cases():,} cases"
    ctx.figure(
        "intake.single.api",
        f"Intake, one report per request, {CLIENTS} clients, gunicorn ({cases})",
        singles / single_wall,
        "reports/s",
        extra={"requests": singles, "clients": CLIENTS, "workers": WORKERS},
    )
    ctx.figure(
        "intake.single.latency",
        f"Intake, one report, median request latency ({cases})",
        statistics.median(single_latencies) * 1000,
        "ms",
        runs=len(single_latencies),
        extra={"p90_ms": statistics.quantiles(single_latencies, n=10)[-1] * 1000},
    )
    ctx.figure(
        "intake.batched.api",
        f"Intake, batches of {BATCH}, {CLIENTS} clients, gunicorn ({cases})",
        batches * BATCH / batch_wall,
        "reports/s",
        extra={
            "requests": batches,
            "median_batch_ms": statistics.median(batch_latencies) * 1000,
        },
    )
    ctx.figure(
        "intake.copy",
        f"Raw COPY of the same rows (accounts to reports, rolled back) ({cases})",
        len(batch_rows) / statistics.median(copy_times),
        "reports/s",
        runs=runs,
    )
    if stage == "large":
        ctx.results.ratio(
            "intake.batched_vs_copy",
            "Batched intake / raw COPY of the same rows (≥ 25%)",
            "intake.batched.api.large",
            "intake.copy.large",
            ">=",
            0.25,
        )
        ctx.results.ratio(
            "intake.single.flat",
            "Single-report latency, 1M / 10k cases (≤ 1.2)",
            "intake.single.latency.large",
            "intake.single.latency.small",
            "<=",
            1.2,
        )
