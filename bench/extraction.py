"""
Disclosure extraction (issue 18, item 7): the IP records of one account, 100k of them (scaled
down with the scale), extracted as a package build does (`disclosures.package.build.extract`)
from a table of scale.ip_records_small rows at the small stage and ip_records_large at the
large one.

The records are written as the project's own crypto writes them: each distinct address is
encrypted once (Fernet, `disclosures.crypto.encrypt`) with its blind index
(`crypto.blind_index(ip, kind="ip")`), and rows reuse those values. The target account's
records are COPYed; the filler records of the other accounts are generated in the database
(INSERT ... SELECT over generate_series and a pool of the encrypted values), which is faster
than streaming 10M rows through Python.

When bench.data has generated the IP records (its facts name the account and how many it
holds), those are measured and nothing is written. Otherwise (run on its own) this module
adds rows and keeps them, read by nothing else: the IP records, and one platform account,
"bench-disclosure-target", with no subjects.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from bench.core import DEFAULT, Context, median_seconds
from bench.throughput_util import copy_rows

TARGET = "bench-disclosure-target"
TARGET_RECORDS = 100_000  # at the default scale; scaled with ip_records_small
POOL = 1000  # distinct addresses, each encrypted once
FILLER_ACCOUNTS = 100_000  # the filler records spread over at most this many accounts
CHUNK = 1_000_000
BASE = datetime(2025, 1, 1, tzinfo=UTC)
SCOPE_FROM, SCOPE_TO = "2024-01-01T00:00:00Z", "2100-01-01T00:00:00Z"


class ExtractionFailed(RuntimeError):
    pass


def target_records(scale: Any) -> int:
    return max(1, TARGET_RECORDS * scale.ip_records_small // DEFAULT.ip_records_small)


def address(k: int) -> str:
    """The k-th address of the pool, v4 and v6 alternately, in the form intake stores."""
    if k % 2:
        return str(ipaddress.ip_address(f"2001:db8::{k:x}"))
    return f"198.51.{(k // 256) % 256}.{k % 256}"


def pool() -> list[tuple[int, str, str, str]]:
    """(n, address, ciphertext, blind index) for each of the POOL distinct addresses."""
    from disclosures.crypto import blind_index, encrypt

    return [
        (k, address(k), encrypt(address(k)), blind_index(address(k), kind="ip"))
        for k in range(POOL)
    ]


def target_account() -> Any:
    from moderation.models import PlatformAccount

    account, _ = PlatformAccount.objects.get_or_create(
        platform_id=TARGET, defaults={"username": "benchtarget", "display_name": "Bench target"}
    )
    return account


def expected_target_rows(n: int) -> list[tuple[str, int, datetime]]:
    """(address, port, seen_at) of the target's i-th record, i < n: what extraction returns."""
    return [
        (address(i % POOL), 1024 + i % 60_000, BASE + timedelta(seconds=30 * i)) for i in range(n)
    ]


def target_insert(account_id: int, n: int, values: list[tuple[int, str, str, str]]) -> int:
    """COPY the target's first `n` records (one transaction)."""
    rows = (
        (account_id, values[i % POOL][2], values[i % POOL][3], port, seen_at)
        for i, (_, port, seen_at) in enumerate(expected_target_rows(n))
    )
    with transaction.atomic():
        return copy_rows(
            "disclosures_subscriberip", ["account_id", "ip", "ip_index", "port", "seen_at"], rows
        )


def filler_insert(
    first: int, last: int, *, exclude: int, values: list[tuple[int, str, str, str]]
) -> None:
    """
    Filler records numbered first..last (inclusive), spread over other accounts, each with a
    unique time: records of accounts no one asks for.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_ip_pool (n int PRIMARY KEY, ip text, ip_index text)"
            " ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY bench_ip_pool (n, ip, ip_index) FROM STDIN") as copy:
            for n, _, token, index in values:
                copy.write_row((n, token, index))
        cursor.execute(
            "SELECT array_agg(id) FROM (SELECT id FROM moderation_platformaccount"
            " WHERE id <> %s ORDER BY id LIMIT %s) AS a",
            [exclude, FILLER_ACCOUNTS],
        )
        accounts = cursor.fetchone()[0] or []
        if not accounts:
            raise ExtractionFailed("no platform account to own the filler IP records")
        for low in range(first, last + 1, CHUNK):
            high = min(low + CHUNK - 1, last)
            cursor.execute(
                "INSERT INTO disclosures_subscriberip (account_id, ip, ip_index, port, seen_at)"
                " SELECT (%s::bigint[])[1 + g %% %s], p.ip, p.ip_index, 1024 + g %% 60000,"
                "  %s::timestamptz - make_interval(secs => g)"
                " FROM generate_series(%s::bigint, %s::bigint) AS g"
                " JOIN bench_ip_pool AS p ON p.n = g %% %s",
                [accounts, len(accounts), BASE, low, high, POOL],
            )


def _count(where: str = "", params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM disclosures_subscriberip {where}", params or [])  # noqa: S608
        return int(cursor.fetchone()[0])


def load(ctx: Context) -> tuple[Any, int]:
    """Make the table hold the stage's records, the target's among them; (account, target n)."""
    wanted_total = (
        ctx.scale.ip_records_small if ctx.stage == "small" else ctx.scale.ip_records_large
    )
    wanted = target_records(ctx.scale)
    account = target_account()
    values: list[tuple[int, str, str, str]] | None = None
    have = _count("WHERE account_id = %s", [account.pk])
    if have not in (0, wanted):
        raise ExtractionFailed(f"{TARGET} has {have} IP records, expected 0 or {wanted}")
    if have == 0:
        values = pool()
        target_insert(account.pk, wanted, values)
    total = _count()
    if total < wanted_total:
        values = values or pool()
        filler_insert(total, wanted_total - 1, exclude=account.pk, values=values)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE disclosures_subscriberip")
    return account, wanted


def scope(account: Any) -> dict[str, Any]:
    return {
        "accounts": [account.platform_id],
        "categories": ["ip_addresses"],
        "date_from": SCOPE_FROM,
        "date_to": SCOPE_TO,
    }


def _plan(ctx: Context, account: Any) -> None:
    """EXPLAIN of the extraction's query: no sequential scan of the IP records."""
    from disclosures.models import SubscriberIp
    from disclosures.package.build import parse_utc

    query = (
        SubscriberIp.objects.filter(
            account__platform_id__in=[account.platform_id],
            seen_at__gte=parse_utc(SCOPE_FROM),
            seen_at__lt=parse_utc(SCOPE_TO),
        )
        .select_related("account")
        .order_by("seen_at", "id")
    )
    plan = query.explain()
    key = f"extraction.{ctx.stage}"
    ctx.results.plans[key] = plan
    if "Seq Scan on disclosures_subscriberip" in plan:
        ctx.results.plan_problems.append(f"Seq Scan on disclosures_subscriberip in {key}")


def _generated(ctx: Context) -> tuple[Any, int] | None:
    """The account and record count bench.data generated for extraction, if it did."""
    # (Its filler of the large stage may give this account a few more records than that.)
    from moderation.models import PlatformAccount

    facts = getattr(ctx, "facts", None)
    if facts is None or not getattr(facts, "ip_target", 0):
        return None
    return PlatformAccount.objects.get(pk=facts.ip_account), int(facts.ip_target)


def measure(ctx: Context) -> None:
    from disclosures.package.build import extract

    account, _ = _generated(ctx) or load(ctx)
    # What the extraction must return: every record of the account (the scope's dates
    # cover them all), counted without decrypting.
    wanted = _count("WHERE account_id = %s", [account.pk])
    table = ctx.scale.ip_records_small if ctx.stage == "small" else ctx.scale.ip_records_large
    found: list[int] = []

    def run() -> None:
        rows = extract(scope(account))["ip_records"]
        found.append(len(rows))

    seconds = median_seconds(run, repeat=min(ctx.scale.repeat, 3))
    if set(found) != {wanted}:
        raise ExtractionFailed(f"extracted {sorted(set(found))} records, expected {wanted}")
    _plan(ctx, account)
    ctx.figure(
        "extraction",
        f"Extraction, {wanted:,} IP records of one account, table of {table:,}",
        seconds,
        "s",
        runs=min(ctx.scale.repeat, 3),
        extra={"records_per_second": wanted / seconds, "table_rows": table},
    )
    if ctx.stage == "large":
        ctx.results.ratio(
            "extraction.flat",
            "Extraction, 10M / 1M IP records in the table (≤ 1.2)",
            "extraction.large",
            "extraction.small",
            "<=",
            1.2,
        )
