"""
Database-level append-only guard for the audit tables.

Triggers make the database itself refuse UPDATE, DELETE (and on PostgreSQL, TRUNCATE) on
the audit table, whatever code path or raw SQL tries it. They are defence in depth: the
table owner can still disable them, which is why production also withholds those
privileges from the application's role (see docs/operations.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

GUARDED_TABLES = (
    "audit_auditevent",
    "audit_auditleaf",
    "audit_auditnode",
    "audit_auditcheckpoint",
)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def _pg_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};",
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION audit_reject_change();",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();",
    ]


def _sqlite_statements(table: str) -> list[str]:
    statements = []
    for op in ("UPDATE", "DELETE"):
        name = f"{table}_no_{op.lower()}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name};",
            f"CREATE TRIGGER {name} BEFORE {op} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'audit table {table} is append-only: {op} refused'); END;",
        ]
    return statements


def install_guards(
    connection: BaseDatabaseWrapper, tables: tuple[str, ...] = GUARDED_TABLES
) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            for table in tables:
                for sql in _pg_statements(table):
                    cursor.execute(sql)
        elif connection.vendor == "sqlite":
            for table in tables:
                for sql in _sqlite_statements(table):
                    cursor.execute(sql)
        else:  # only the two supported databases
            raise ImproperlyConfigured(
                f"No append-only guard for {connection.vendor}: use PostgreSQL or SQLite."
            )


def remove_guards(
    connection: BaseDatabaseWrapper, tables: tuple[str, ...] = GUARDED_TABLES
) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")


@contextlib.contextmanager
def guards_suspended(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """
    Lift the guards for a maintenance step and put them back after, even on error.

    Needs table ownership (PostgreSQL) and is never called by the application: the test
    harness uses it to empty tables between transactional tests, and tamper drills use it
    to play a rogue database administrator.
    """
    remove_guards(connection)
    try:
        yield
    finally:
        install_guards(connection)
