"""The database itself refuses to rewrite or erase audit events, whatever the code path."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

import audit
from audit.db import guards_suspended
from audit.models import AuditEvent
from tests.utils import requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return audit.record(action="request.released", target_type="disclosures.request", target_id=7)


def _raw(sql: str, params: list | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_raw_sql_update_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET action = 'request.rejected' WHERE id = %s", [event.pk])

    event.refresh_from_db()
    assert event.action == "request.released"


def test_raw_sql_delete_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_are_refused(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(target_id="8")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    event.refresh_from_db()
    assert event.target_id == "7"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_truncate_is_refused_on_postgresql():
    # Committed first: inside one transaction, PostgreSQL would refuse TRUNCATE anyway
    # because of the deferred foreign-key checks, which would hide what is tested here.
    event = audit.record(action="request.released", target_type="disclosures.request", target_id=7)

    with pytest.raises(DatabaseError, match="append-only"):
        _raw("TRUNCATE audit_auditevent CASCADE")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_inserts_still_work_after_a_refused_change(event):
    with pytest.raises(DatabaseError):
        _raw("DELETE FROM audit_auditevent")

    audit.record(action="request.closed", target_type="disclosures.request", target_id=7)
    assert AuditEvent.objects.count() == 2


def test_guards_come_back_after_a_suspension(event):
    with guards_suspended(connection):
        _raw("UPDATE audit_auditevent SET target_id = '9' WHERE id = %s", [event.pk])

    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET target_id = '10' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.target_id == "9"
