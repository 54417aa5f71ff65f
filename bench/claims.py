"""
Claim-next with 16 concurrent moderators (issue 18, item 5): the project's service, called as
the queue view calls it, against the raw single-statement claim plus its audit insert in one
transaction. Every claim of a run is checked: no case may be claimed twice.

Leaves the queue as it found it: the claimed cases go back to `open` with no holder (and
their `updated_at` as it was, for the cases near the top of the queue snapshotted first).
Adds rows: the `case.claimed` audit events (append-only), which no later measurement reads
except the audit sealing, which seals what is pending before it measures.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from bench.core import Context
from bench.throughput_util import MODERATORS, full_scale, in_threads, moderators

# The raw claim: one statement takes the most urgent open case no one else is taking.
RAW_CLAIM = (
    "UPDATE moderation_case SET status = 'claimed', claimed_by_id = %s,"
    " claim_expires_at = now() + make_interval(mins => %s), updated_at = now()"
    " WHERE id = (SELECT id FROM moderation_case WHERE status = 'open'"
    "  ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " RETURNING id"
)
RAW_AUDIT = (
    "INSERT INTO audit_auditevent (occurred_at, actor_id, actor_username, actor_roles,"
    " ip_address, request_id, action, target_type, target_id, data)"
    " VALUES (now(), %s, %s, %s::jsonb, NULL, '', 'case.claimed', 'moderation.case', %s,"
    " %s::jsonb)"
)
# A SKIP LOCKED subquery can come back empty while a row it skipped is being committed by
# another claimer; only this many empty answers in a row mean the queue is empty.
_EMPTY_TRIES = 3


class DoubleClaim(AssertionError):
    """A case was handed to two moderators: the claim is broken."""


def raw_claim(*, user_id: int, username: str, roles: list[str]) -> int | None:
    """Claim the most urgent open case with the raw statement and audit it; its id or None."""
    for _ in range(_EMPTY_TRIES):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RAW_CLAIM, [user_id, settings.CASE_CLAIM_LEASE_MINUTES])
            row = cursor.fetchone()
            if row is None:
                continue
            data = {"from": "open", "how": "next"}
            cursor.execute(
                RAW_AUDIT, [user_id, username, json.dumps(roles), str(row[0]), json.dumps(data)]
            )
            return int(row[0])
    return None


def raw_claimer(user: Any, claims: int) -> Callable[[], list[int]]:
    roles = sorted(user.groups.values_list("name", flat=True))

    def run() -> list[int]:
        got = []
        for _ in range(claims):
            case_id = raw_claim(user_id=user.pk, username=user.get_username(), roles=roles)
            if case_id is None:
                break
            got.append(case_id)
        return got

    return run


def service_claimer(user: Any, claims: int) -> Callable[[], list[int]]:
    """What the claim-next view does per request: the moderator's filters, then the service."""
    from moderation.selectors.queue import filters_for_moderator
    from moderation.services.claims import case_claim_next

    def run() -> list[int]:
        got = []
        for _ in range(claims):
            filters = filters_for_moderator(user=user)
            case = case_claim_next(actor=user, filters=filters)
            if case is None:
                break
            got.append(case.pk)
        return got

    return run


def double_claims(claimed: list[list[int]]) -> list[int]:
    """Case ids handed out more than once across the threads of one run."""
    seen: set[int] = set()
    twice = []
    for ids in claimed:
        for case_id in ids:
            if case_id in seen:
                twice.append(case_id)
            seen.add(case_id)
    return twice


def _snapshot(limit: int) -> dict[int, Any]:
    """updated_at of the open cases a run will most likely claim (the top of the queue)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, updated_at FROM moderation_case WHERE status = 'open'"
            " ORDER BY priority DESC, id LIMIT %s",
            [limit],
        )
        return dict(cursor.fetchall())


def release(case_ids: list[int], updated: dict[int, Any]) -> None:
    """Put claimed cases back in the queue as they were (not audited: it undoes a benchmark)."""
    if not case_ids:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE moderation_case SET status = 'open', claimed_by_id = NULL,"
            " claim_expires_at = NULL WHERE id = ANY(%s) AND status = 'claimed'",
            [case_ids],
        )
        known = [(pk, updated[pk]) for pk in case_ids if pk in updated]
        if known:
            cursor.execute(
                "UPDATE moderation_case c SET updated_at = s.updated_at"
                " FROM unnest(%s::bigint[], %s::timestamptz[]) AS s(id, updated_at)"
                " WHERE c.id = s.id",
                [[pk for pk, _ in known], [at for _, at in known]],
            )


def _open_cases() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM moderation_case WHERE status = 'open'")
        return int(cursor.fetchone()[0])


def _run(make: Callable[[Any, int], Callable[[], list[int]]], users: list[Any], per: int) -> Any:
    updated = _snapshot(4 * per * len(users))
    claimed, elapsed = in_threads([make(user, per) for user in users])
    twice = double_claims(claimed)
    release(sorted({pk for ids in claimed for pk in ids}), updated)
    total = sum(len(ids) for ids in claimed)
    return total, elapsed, twice


def _cpu_per_claim(make: Callable[[Any, int], Callable[[], list[int]]], user: Any, n: int) -> float:
    """
    Milliseconds of this thread's CPU per claim, one moderator claiming alone: the Python
    (and driver) cost of a claim, which 16 threads share one GIL for; the database's time
    and other processes' load are not in it.
    """
    updated = _snapshot(4 * n)
    run = make(user, n)
    start = time.thread_time()
    claimed = run()
    spent = time.thread_time() - start
    release(claimed, updated)
    return 1000 * spent / len(claimed) if claimed else 0.0


def measure(ctx: Context) -> None:
    users = moderators(MODERATORS)
    wanted = 40 if full_scale(ctx) else 5
    # Leave at least half the open cases unclaimed, so no thread runs out before the others.
    per = max(1, min(wanted, _open_cases() // (2 * len(users))))
    runs = min(ctx.scale.repeat, 3)
    results: dict[str, list[float]] = {"service": [], "raw": []}
    doubles: dict[str, int] = {"service": 0, "raw": 0}
    claims: dict[str, int] = {"service": 0, "raw": 0}
    makers = {"service": service_claimer, "raw": raw_claimer}
    _run(makers["service"], users[:2], 1)  # warm up: connections, permissions, plans
    _run(makers["raw"], users[:2], 1)
    for _ in range(runs):
        for name, make in makers.items():
            total, elapsed, twice = _run(make, users, per)
            results[name].append(total / elapsed if elapsed else 0.0)
            doubles[name] += len(twice)
            claims[name] += total
    cpu: dict[str, list[float]] = {"service": [], "raw": []}
    for _ in range(runs):
        for name, make in makers.items():
            cpu[name].append(_cpu_per_claim(make, users[0], per))
    stage = ctx.stage
    for name, label in (("service", "project service"), ("raw", "raw statement + audit")):
        ctx.figure(
            f"claims.{name}_cpu",
            f"Claim-next, one moderator alone, CPU per claim, {label} ({ctx.cases():,} cases)",
            statistics.median(cpu[name]),
            "ms",
            runs=runs,
            extra={"claims_per_run": per},
        )
    labels = {
        "service": "Claim-next, 16 moderators, project service",
        "raw": "Claim-next, 16 threads, raw UPDATE ... SKIP LOCKED + audit insert",
    }
    for name in makers:
        ctx.figure(
            f"claims.{name}",
            f"{labels[name]} ({ctx.cases():,} cases)",
            statistics.median(results[name]),
            "claims/s",
            runs=runs,
            extra={
                "threads": len(users),
                "claims_per_thread": per,
                "claims_checked": claims[name],
                "double_claims": doubles[name],
            },
        )
    ctx.results.notes.append(
        f"claims.{stage}: {claims['service'] + claims['raw']} claims checked, "
        f"{doubles['service'] + doubles['raw']} double claims"
    )
    if stage == "large":
        ctx.results.ratio(
            "claims.service_vs_raw",
            "Claim-next service / raw claim + audit (≥ 60%)",
            "claims.service.large",
            "claims.raw.large",
            ">=",
            0.6,
        )
    if doubles["service"] or doubles["raw"]:
        raise DoubleClaim(f"double claims at {stage}: {doubles}")
