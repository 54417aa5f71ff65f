"""
What the throughput measurements (intake, claims, audit, extraction) share: COPY into the
project's tables, the benchmark moderators, deleting the rows a measurement added, and how
much work a scale asks for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, connections, transaction

from bench.core import DEFAULT, Context

MODERATORS = 16


def full_scale(ctx: Context) -> bool:
    """The default scale or larger: the sizes meant for a 1M-case database."""
    return ctx.scale.large_cases >= DEFAULT.large_cases // 10


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY `rows` into `table` on the current connection (in the caller's transaction)."""
    count = 0
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def max_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - our names
        return int(cursor.fetchone()[0])


def _children(table: str) -> list[tuple[str, str]]:
    """(table, column) of every foreign key that references `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = %s::regclass",
            [table],
        )
        return [(child, column) for child, column in cursor.fetchall()]


def delete_rows(table: str, ids: list[int]) -> int:
    """
    Delete rows a measurement added, and the rows that point at them (one level down: what a
    fresh report or case can have, such as signals). The audit trail is append-only and stays.
    """
    if not ids:
        return 0
    with connection.cursor() as cursor:
        for child, column in _children(table):
            if child == table:
                sql = f"UPDATE {child} SET {column} = NULL WHERE {column} = ANY(%s)"  # noqa: S608
            else:
                sql = f"DELETE FROM {child} WHERE {column} = ANY(%s)"  # noqa: S608
            cursor.execute(sql, [ids])  # names from the catalogue, ids as a parameter
        cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])  # noqa: S608
        return cursor.rowcount


def ids_where(table: str, condition: str, params: Sequence[Any]) -> list[int]:
    with connection.cursor() as cursor:
        # Table and condition are the caller's own text; values go in as parameters.
        cursor.execute(f"SELECT id FROM {table} WHERE {condition}", list(params))  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def moderators(n: int = MODERATORS) -> list[Any]:
    """The benchmark's moderators bench-mod-00.. (bench.data makes them; created if absent)."""
    from accounts import services as account_services
    from accounts.models import User
    from accounts.roles import Role

    names = [f"bench-mod-{i:02d}" for i in range(n)]
    found = {u.username: u for u in User.objects.filter(username__in=names)}
    for name in names:
        if name not in found:
            found[name] = account_services.user_create(
                username=name, password=None, roles=[Role.MODERATOR]
            )
    return [found[name] for name in names]


def in_threads(calls: Sequence[Callable[[], Any]]) -> tuple[list[Any], float]:
    """
    Run each call in its own thread (its own database connection) at the same instant;
    return their results in order and the wall time from that instant until the last one
    finished, re-raising the first exception.
    """
    started: list[float] = []
    barrier = threading.Barrier(len(calls), action=lambda: started.append(time.perf_counter()))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # handed back to the caller below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started[0]
    if errors:
        raise errors[0]
    return results, elapsed


class _RolledBack(Exception):
    pass


def rolled_back_seconds(write: Callable[[], object]) -> float:
    """Wall time of `write()` in a transaction that is then rolled back (a baseline's COPY)."""
    started = time.perf_counter()
    elapsed = 0.0
    try:
        with transaction.atomic():
            write()
            elapsed = time.perf_counter() - started
            raise _RolledBack
    except _RolledBack:
        pass
    return elapsed
