"""
PostgreSQL's way of writing a batch's rows: one statement per table, built from plain tuples.

The ORM's `bulk_create` of 500 rows builds a model instance per row and a bound parameter per
column per row, which psycopg then quotes one by one: most of a batch's time was spent there
(issue 18). Here each table takes one statement whose SQL text does not grow with the batch:

- accounts, reporters, subjects and cases: `INSERT ... SELECT FROM json_to_recordset(one JSON
  document) ON CONFLICT DO NOTHING`, as `bulk_create(ignore_conflicts=True)` did (another
  writer may have inserted the same account, subject or case a moment ago);
- reports: their ids taken from the sequence in one query, then `COPY`, the rows formatted
  by psycopg's C code. A report cannot conflict: intake holds an advisory lock on each
  external_id it writes (`intake_rows.batch_lock`) after checking that none is stored.

Columns a caller does not give take the model's defaults (`auto_now` and `auto_now_add` the
time of the write), so a row is the one the ORM would have written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.backends.utils import CursorDebugWrapper
from django.utils import timezone


def available() -> bool:
    """Whether this database takes these statements (PostgreSQL); elsewhere the ORM writes."""
    return connection.vendor == "postgresql"


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field[Any, Any]]:
    by_name = {f.name: f for f in model._meta.concrete_fields}
    return [by_name[name] for name in names]


def _defaulted(
    model: type[models.Model], given: Sequence[str]
) -> list[tuple[models.Field[Any, Any], Any]]:
    """Every other column but the primary key, with the value the ORM would insert."""
    now = timezone.now()
    found = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        found.append((field, value))
    return found


def record_type(field: models.Field[Any, Any]) -> str:
    """A column's type in a `json_to_recordset` definition."""
    # Text, never varchar(n): a value too long for its column fails on assignment instead of
    # being cut by the cast.
    if isinstance(field, models.CharField | models.TextField):
        return "text"
    return str(field.cast_db_type(connection))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()  # every digit: DjangoJSONEncoder would cut microseconds
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def record_json(rows: list[dict[str, Any]]) -> str:
    """
    Rows as one JSON document for `json_to_recordset`: encoded by the json module's C code
    and quoted once, where arrays (one per column) are quoted value by value in Python.
    """
    return json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))


@contextmanager
def _logged(cursor: Any, sql: str) -> Iterator[None]:
    """Log a COPY like any other statement, so query counts and the debug toolbar see it."""
    with cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext():
        yield


def rows_insert(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """
    Insert these rows (one value per name, in order), skipping any that conflicts with a
    stored row: one statement and two parameters, whatever the number of rows.
    """
    if not rows:
        return
    given = _fields(model, names)
    rest = _defaulted(model, names)
    quote = connection.ops.quote_name
    columns = [quote(str(f.column)) for f in given] + [quote(str(f.column)) for f, _ in rest]
    keys = [f"c{n}" for n in range(len(given))]
    document = record_json([dict(zip(keys, row, strict=True)) for row in rows])
    types = ", ".join(f"{key} {record_type(f)}" for key, f in zip(keys, given, strict=True))
    constants = "".join(f", %s::{f.cast_db_type(connection)}" for f, _ in rest)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 (the model's names)
            f"SELECT v.*{constants} FROM json_to_recordset(%s::json) AS v({types}) "
            "ON CONFLICT DO NOTHING",
            # In the order of the SQL text: the constants, then the rows.
            [*(f.get_db_prep_save(value, connection) for f, value in rest), document],
        )


def _copy_value(field: models.Field[Any, Any], value: Any) -> Any:
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value, cls=field.encoder)
    return value


def rows_copy(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """
    COPY these rows (one value per name, in order) with ids from the table's sequence;
    returns the ids, in the rows' order. Two statements whatever the number of rows. Only
    for rows that cannot conflict with stored ones: COPY has no ON CONFLICT.
    """
    if not rows:
        return []
    given = _fields(model, names)
    rest = _defaulted(model, names)
    tail = tuple(_copy_value(f, value) for f, value in rest)
    json_at = [n for n, f in enumerate(given) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = str(model._meta.pk.column) if model._meta.pk else "id"
    columns = [quote(pk)] + [quote(str(f.column)) for f in given]
    columns += [quote(str(f.column)) for f, _ in rest]
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk, len(rows)],
        )
        ids = [int(row[0]) for row in cursor.fetchall()]
        with _logged(cursor, sql), cursor.cursor.copy(sql) as copy:
            for pk_value, row in zip(ids, rows, strict=True):
                values = list(row)
                for n in json_at:
                    values[n] = _copy_value(given[n], values[n])
                copy.write_row((pk_value, *values, *tail))
    return ids
