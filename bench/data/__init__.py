"""
The benchmark's data: COPY into the project's own tables, indexes and constraints in place.

Columns come from the models (`Model._meta`), so a renamed column is followed; a new
required column without a default makes generation fail with its name rather than load
something the application would not write. Every row a generator does not fill gets the
field's default. The `small` stage is generated from nothing, `large` appends to it (ids go
on), so the two stages share their first rows and a ratio compares like with like.

Distributions follow what the issue measured: about 2.05 reports a case, one very prolific
author with ~17% of the subjects (and a few smaller ones), most cases open, priorities and
`score_changes_at` computed by the project's own priority functions, as `cases_refresh`
would have left them.
"""

from __future__ import annotations

import random

from bench.core import Context, Scale, Stage
from bench.data.base import (
    ADMIN,
    HEAVY_SHARES,
    MODERATORS,
    SENIOR,
    BenchDataError,
    Facts,
    bench_models,
    count_rows,
    sequences_reset,
    vacuum_analyze,
)
from bench.data.cases import cases as cases_and_reports
from bench.data.people import accounts, logged_in_client, users
from bench.data.records import audit_events, bank_hashes, ip_records

__all__ = [
    "ADMIN",
    "MODERATORS",
    "SENIOR",
    "BenchDataError",
    "Facts",
    "generate",
    "logged_in_client",
]


def stage_counts(scale: Scale, stage: Stage) -> dict[str, int]:
    cases = scale.small_cases if stage == "small" else scale.large_cases
    ratio = cases / scale.large_cases
    return {
        "cases": cases,
        "accounts": scale.accounts,
        "reporters": max(scale.accounts // 2, 100),
        "ip_records": scale.ip_records_small if stage == "small" else scale.ip_records_large,
        "audit_events": max(2_000, int(scale.audit_events * ratio)),
        "bank_hashes": max(1_000, int(scale.bank_hashes * ratio)),
    }


def generate(ctx: Context) -> Facts:
    """Bring the benchmark database to ctx.stage's size; returns (and keeps) the facts."""
    from django.utils import timezone

    facts: Facts = ctx.facts or Facts(now=timezone.now())
    ctx.facts = facts
    want = stage_counts(ctx.scale, ctx.stage)
    rng = random.Random(f"bench-{ctx.scale.name}-{ctx.stage}")  # noqa: S311 (reproducible)
    if ctx.stage == "small":
        users(facts)
        accounts(want, facts, rng)
    cases_and_reports(want, facts, rng, ctx.scale)
    ip_records(want, facts, rng, ctx.scale)
    audit_events(want, facts, rng, ctx.scale)
    bank_hashes(want, facts, rng)
    sequences_reset()
    vacuum_analyze()
    _pick_cases(facts)
    facts.counts = _table_counts()
    return facts


def _table_counts() -> dict[str, int]:
    return {m._meta.db_table: count_rows(m) for m in bench_models()}


def _pick_cases(facts: Facts) -> None:
    """An open case of the prolific author, and one of an ordinary author, for the case page."""
    from moderation.models import Case

    facts.prolific_case = (
        Case.objects.filter(status="open", subject__author_id=facts.prolific_author)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
        or 0
    )
    facts.typical_case = (
        Case.objects.filter(status="open")
        .exclude(subject__author_id__lt=facts.prolific_author + 1 + len(HEAVY_SHARES))
        .order_by("id")
        .values_list("id", flat=True)
        .first()
        or 0
    )
