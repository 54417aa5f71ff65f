"""
Production PostgreSQL privileges for the audit tables: owned by a NOLOGIN role, the
application's role may only INSERT and SELECT. Triggers are then defence in depth; the
privileges are the control (the app cannot disable triggers it does not own).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.db import GUARDED_TABLES

SEQUENCES = ("audit_auditevent_id_seq",)
REFERENCED = ("accounts_user",)  # foreign-key checks run as the audit tables' owner


ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def privilege_statements(*, app_role: str, owner_role: str) -> list[str]:
    for role in (app_role, owner_role):
        if not ROLE_NAME.match(role):
            raise CommandError(f"{role!r} is not a plain role name (a-z, 0-9, _).")
    quote = connection.ops.quote_name
    app, owner = quote(app_role), quote(owner_role)
    statements = [
        # Role names are checked against ROLE_NAME above, so the literal is safe.
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{owner_role}') "  # noqa: S608
        f"THEN CREATE ROLE {owner} NOLOGIN; END IF; END $$",
        f"GRANT USAGE ON SCHEMA public TO {owner}",
    ]
    for table in REFERENCED:
        statements.append(f"GRANT SELECT, REFERENCES ON {quote(table)} TO {owner}")
    for table in GUARDED_TABLES:
        statements += [
            f"ALTER TABLE {quote(table)} OWNER TO {owner}",
            f"REVOKE ALL ON {quote(table)} FROM {app}",
            f"GRANT SELECT, INSERT ON {quote(table)} TO {app}",
        ]
    for sequence in SEQUENCES:
        statements += [
            f"ALTER SEQUENCE {quote(sequence)} OWNER TO {owner}",
            f"GRANT USAGE, SELECT ON SEQUENCE {quote(sequence)} TO {app}",
        ]
    return statements


class Command(BaseCommand):
    help = (
        "Make the audit tables append-only by privilege on PostgreSQL: owned by a NOLOGIN role, "
        "INSERT and SELECT only for the application role. Run as a superuser after migrate."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--app-role", required=True, help="the role the application uses")
        parser.add_argument("--owner-role", default="audit_owner")
        parser.add_argument("--print", action="store_true", help="print the SQL, run nothing")

    def handle(
        self, *args: Any, app_role: str, owner_role: str, print: bool, **options: Any
    ) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Privileges apply to PostgreSQL; SQLite relies on the triggers.")
        if app_role == owner_role:
            raise CommandError("The application role must not own the audit tables.")
        statements = privilege_statements(app_role=app_role, owner_role=owner_role)
        if print:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(
            self.style.SUCCESS(f"Audit tables owned by {owner_role}; {app_role} may INSERT/SELECT.")
        )
