"""The production privilege setup: the app role can append and read the trail, nothing else."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from tests.utils import requires_postgres

pytestmark = [pytest.mark.django_db, requires_postgres]


def _as_app(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE tsdash_app_probe")
        cursor.execute(sql)


def test_app_role_may_insert_and_select_but_not_rewrite_or_untrigger():
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE tsdash_app_probe NOLOGIN")
        cursor.execute("GRANT USAGE ON SCHEMA public TO tsdash_app_probe")
    call_command(
        "audit_privileges", "--app-role", "tsdash_app_probe", "--owner-role", "audit_owner_probe"
    )

    _as_app(
        "INSERT INTO audit_auditevent (occurred_at, actor_username, actor_roles, request_id,"
        " action, target_type, target_id, data)"
        " VALUES (now(), '', '[]', '', 'probe.inserted', '', '', '{}')"
    )
    _as_app("SELECT count(*) FROM audit_auditevent")
    for sql in (
        "UPDATE audit_auditevent SET action = 'probe.changed'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "UPDATE audit_auditcheckpoint SET note = ''",
    ):
        with pytest.raises(DatabaseError, match=r"permission denied|must be owner"):
            _as_app(sql)


def test_print_shows_the_sql_and_refuses_the_owner_as_app_role(capsys):
    call_command("audit_privileges", "--app-role", "app", "--print")
    out = capsys.readouterr().out
    assert 'GRANT SELECT, INSERT ON "audit_auditevent" TO "app"' in out
    with pytest.raises(Exception, match="must not own"):
        call_command("audit_privileges", "--app-role", "x", "--owner-role", "x")
