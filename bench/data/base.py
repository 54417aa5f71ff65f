"""
What the generator's parts share: the benchmark's people and distributions, the facts a run
keeps, and COPY through a model's own columns.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, models

MODERATORS = [f"bench-mod-{n:02d}" for n in range(16)]
SENIOR = "bench-senior"
ADMIN = "bench-admin"
PASSWORD = "bench-password-42"  # noqa: S105 (benchmark database only)

# Share of all subjects the most prolific author wrote ("an author with 169k subjects" of 1M).
PROLIFIC_SHARE = 0.17
# Three more heavy authors, then everyone else alike.
HEAVY_SHARES = (0.02, 0.01, 0.005)

SUBJECT_TYPES = {
    "message": 55,
    "media": 15,
    "account": 9,
    "group": 6,
    "channel": 6,
    "bot": 3,
    "search_result": 6,
}
STATUSES = {"open": 70, "claimed": 3, "escalated": 3, "legal": 1, "resolved": 23}
LANGUAGES = {
    "en": 34,
    "ru": 10,
    "ar": 10,
    "fa": 8,
    "es": 8,
    "fr": 6,
    "de": 6,
    "tr": 5,
    "pt": 5,
    "uk": 5,
    "": 3,
}
SOURCES = {"user": 80, "automated": 10, "trusted_flagger": 8, "authority": 2}
# Reports per case: mean 2.04 (the 2.05M reports for 1M cases).
REPORTS_PER_CASE = {1: 47, 2: 26, 3: 13, 4: 7, 5: 4, 6: 3}
TEXTS = [
    "buy cheap followers now, link in bio",
    "you will regret this, I know where you live",
    "selling documents, dm me",
    "this channel posts the same scam every hour",
    "graphic video reposted without warning",
    "join our group for free crypto signals",
    "impersonating a bank's support account",
    "hate speech against a religious group",
]
# Cases open over the last weeks: most recent, a long tail back.
CASE_AGE_MEAN_HOURS = 72
CASE_AGE_MAX_HOURS = 60 * 24
IPS_POOL = 2_000  # distinct IP addresses, each encrypted once and reused


class BenchDataError(RuntimeError):
    pass


@dataclass
class Facts:
    """What the generator made and the measurements need; held in Context.facts."""

    now: datetime  # the data's clock: cases were opened up to this instant
    moderators: list[int] = field(default_factory=list)  # user ids, MODERATORS order
    senior: int = 0
    admin: int = 0
    accounts: tuple[int, int] = (0, 0)  # first and last PlatformAccount pk generated
    reporters: tuple[int, int] = (0, 0)  # first and last Reporter pk generated
    prolific_author: int = 0  # PlatformAccount pk with PROLIFIC_SHARE of the subjects
    prolific_case: int = 0  # an open case about one of that author's subjects
    typical_case: int = 0  # an open case of an ordinary author
    ip_account: int = 0  # PlatformAccount pk holding ip_target records
    ip_account_platform_id: str = ""
    ip_target: int = 0
    ip_window: tuple[datetime, datetime] | None = None
    cases_generated: int = 0
    ips_generated: int = 0
    hashes_generated: int = 0
    seal_pending: int = 0  # events left unsealed at each stage, for the seal task
    counts: dict[str, int] = field(default_factory=dict)  # rows per table after the stage
    load: dict[str, dict[str, float]] = field(default_factory=dict)  # per table: rows, seconds


def weighted(rng: random.Random, table: dict[Any, int]) -> Callable[[], Any]:
    values = list(table)
    cum = list(itertools.accumulate(table.values()))
    total = cum[-1]

    def pick() -> Any:
        return values[bisect.bisect_right(cum, rng.random() * total)]

    return pick


def _json(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _fixed_default(model: type[models.Model], f: models.Field, now: datetime) -> Any:
    if f.has_default():
        return _json(f.get_default())
    if f.null:
        return None
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now
    if isinstance(f, models.CharField | models.TextField):
        return ""
    raise BenchDataError(
        f"{model.__name__}.{f.name} is required and has no default: bench.data must fill it"
    )


class Copier:
    """COPY rows into a model's table: the generator gives `fields`, defaults fill the rest."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], now: datetime):
        meta = model._meta
        self.model = model
        self.table = meta.db_table
        by_name = {f.name: f for f in meta.concrete_fields}
        unknown = [name for name in fields if name not in by_name]
        if unknown:
            raise BenchDataError(f"{model.__name__} has no column for {unknown}")
        rest = [f for f in meta.concrete_fields if f.name not in set(fields)]
        self.columns: list[str] = [str(by_name[name].column) for name in fields]
        self.columns += [str(f.column) for f in rest]
        self.tail = tuple(_fixed_default(model, f, now) for f in rest)

    def copy(self, rows: Iterable[Sequence[Any]], load: dict[str, dict[str, float]]) -> int:
        started = time.perf_counter()
        n = 0
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        sql = f"COPY {connection.ops.quote_name(self.table)} ({cols}) FROM STDIN"
        tail = self.tail
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row, *tail))
                n += 1
        spent = time.perf_counter() - started
        entry = load.setdefault(self.table, {"rows": 0, "seconds": 0.0})
        entry["rows"] += n
        entry["seconds"] += spent
        return n


def max_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608 (a model's table)
        return int(cursor.fetchone()[0])


def count_rows(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")  # noqa: S608 (a model's table)
        return int(cursor.fetchone()[0])


def bench_models() -> list[type[models.Model]]:
    from audit.models import AuditEvent
    from disclosures.models import SubscriberIp
    from moderation.models import Case, PlatformAccount, Report, Reporter, Subject
    from signals.models import BankedHash

    return [PlatformAccount, Reporter, Subject, Case, Report, SubscriberIp, AuditEvent, BankedHash]


def sequences_reset() -> None:
    """Ids were given by the COPY: move each sequence past them, so the app's inserts go on."""
    with connection.cursor() as cursor:
        for model in bench_models():
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 (a model's table)
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)",
                [table],
            )


def vacuum_analyze() -> None:
    """
    VACUUM as well as ANALYZE: after millions of COPYed rows autovacuum would otherwise start
    on the large tables while pages are being timed (its insert threshold), on a 2-core
    machine; and a table in steady state has its visibility map set, as production's has.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
