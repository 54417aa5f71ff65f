"""
Batched intake's PostgreSQL path (issue 18): rows written from plain tuples (one statement per
table, reports by COPY) must be the rows the ORM path writes, in the same transaction, with
a query count that does not grow with the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from moderation.models import Case, PlatformAccount, Report, Reporter, Subject
from moderation.services import intake_sql
from moderation.services.intake import ContextMessageInput, reports_ingest
from tests.moderation.factories import report_input
from tests.utils import requires_postgres

pytestmark = pytest.mark.django_db


def _captured(run: Callable[[], Any]) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        run()
    return [q["sql"] for q in ctx.captured_queries]


@contextmanager
def _orm_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Intake and the refresh as they run on SQLite: every row through the ORM."""
    with monkeypatch.context() as patched:
        patched.setattr(intake_sql, "available", lambda: False)
        yield


def _batch(tag: str, n: int, *, mixed: bool = True) -> list[Any]:
    """
    n reports about new subjects (two a subject), three reporters; `mixed`: some trusted
    flaggers, some without a language, half with thread context, text that COPY must escape.
    """
    if not mixed:
        return [
            report_input(
                external_id=f"{tag}-r{i}",
                reporter_id=f"{tag}-p{i % 3}",
                subject__platform_id=f"{tag}-m{i // 2}",
                subject__author_id=f"{tag}-a{i // 2}",
            )
            for i in range(n)
        ]
    items = []
    for i in range(n):
        item = report_input(
            external_id=f"{tag}-r{i}",
            reporter_id=f"{tag}-p{i % 3}",
            flagger_name="Flagger" if i % 4 == 0 else "",
            source="trusted_flagger" if i % 4 == 0 else "user",
            language="" if i % 5 == 0 else "en",
            subject__platform_id=f"{tag}-m{i // 2}",  # two reports a subject
            subject__author_id=f"{tag}-a{i // 2}",
            subject__author_display_name=f'Author «{i}»\t\\ "quoted"\n',
            subject__media_pdq_quality=None if i % 2 else 80,
        )
        if i % 2 == 0:
            posted = item.subject.posted_at
            assert posted is not None
            item = replace(
                item,
                context=(
                    ContextMessageInput(
                        position="before",
                        message_id=f"{tag}-ctx{i}",
                        author_id="x",
                        posted_at=posted,
                        text='a "quote", a tab\t, a backslash \\ and ünïcode',
                    ),
                ),
            )
        items.append(item)
    return items


# Time columns differ between two runs; everything else must be equal.
_TIMES = {
    "received_at",
    "first_seen_at",
    "first_reported_at",
    "created_at",
    "updated_at",
    "deadline_at",
    "score_changes_at",
}


def _rows(tag: str) -> dict[str, Any]:
    """What a batch wrote, keyed by natural keys, ids and times left out."""
    reports = Report.objects.filter(external_id__startswith=f"{tag}-").select_related(
        "subject", "case__subject", "reporter", "category"
    )

    def plain(obj: Any) -> dict[str, Any]:
        found = model_to_dict(obj)
        for key in ("id", *_TIMES):
            found.pop(key, None)
        return found

    def case_row(case: Case) -> dict[str, Any]:
        row = plain(case) | {"subject": case.subject.platform_id}
        row["priority_explanation"] = row["priority_explanation"]["components"]
        return row

    return {
        "reports": {
            r.external_id: plain(r)
            | {
                "subject": r.subject.platform_id,
                "case": r.case.subject.platform_id if r.case else None,
                "reporter": r.reporter.platform_id if r.reporter else None,
            }
            for r in reports
        },
        "subjects": {
            s.platform_id: plain(s) | {"author": s.author.platform_id}
            for s in Subject.objects.filter(platform_id__startswith=f"{tag}-")
        },
        "cases": {
            c.subject.platform_id: case_row(c)
            for c in Case.objects.filter(subject__platform_id__startswith=f"{tag}-")
        },
        "accounts": {
            a.platform_id: plain(a)
            for a in PlatformAccount.objects.filter(platform_id__startswith=f"{tag}-")
        },
        "reporters": {
            r.platform_id: plain(r)
            for r in Reporter.objects.filter(platform_id__startswith=f"{tag}-")
        },
    }


@requires_postgres
def test_batch_writes_the_rows_the_orm_writes(monkeypatch):
    items = _batch("same", 40)
    with transaction.atomic():
        fast = reports_ingest(items=items)
        written = _rows("same")
        transaction.set_rollback(True)
    with _orm_path(monkeypatch):
        slow = reports_ingest(items=items)

    assert written == _rows("same")
    assert len(written["reports"]) == 40
    assert len(written["cases"]) == 20
    assert (fast.created, fast.duplicates, fast.held) == (slow.created, slow.duplicates, slow.held)
    # The context's JSON and the text with tabs, quotes and backslashes survived COPY.
    stored = Report.objects.get(external_id="same-r0")
    assert stored.context[0]["text"] == 'a "quote", a tab\t, a backslash \\ and ünïcode'
    assert PlatformAccount.objects.get(platform_id="same-a0").display_name == (
        'Author «0»\t\\ "quoted"\n'
    )


@requires_postgres
def test_batch_query_count_does_not_grow_with_the_batch(django_assert_num_queries):
    reports_ingest(items=[report_input()])  # categories and the like exist already
    # As one report's (see test_performance_paths): the lock, duplicates, categories,
    # account, reporter and subject (insert, read each), active cases, case insert and
    # re-read, lock, report ids and COPY, the 9 of cases_refresh, the audit event, and the
    # savepoint pair.
    with django_assert_num_queries(26) as five:
        reports_ingest(items=_batch("five", 5, mixed=False))
    with django_assert_num_queries(26) as many:
        reports_ingest(items=_batch("many", 500, mixed=False))

    sql = [q["sql"] for q in many.captured_queries]
    assert sum(q.startswith('COPY "moderation_report"') for q in sql) == 1
    assert not any(q.startswith('INSERT INTO "moderation_report"') for q in sql), sql
    # One statement per table, its text the same for 5 rows or 500.
    inserts = [q for q in sql if q.startswith("INSERT INTO") and "json_to_recordset" in q]
    assert len(inserts) == 4  # accounts, reporters, subjects, cases
    small = {q.split(" (", 1)[0] for q in (x["sql"] for x in five.captured_queries)}
    assert {q.split(" (", 1)[0] for q in inserts} <= small
    assert Report.objects.filter(external_id__startswith="many-").count() == 500


@requires_postgres
def test_copied_reports_take_their_ids_from_the_sequence():
    result = reports_ingest(items=_batch("seq", 10))
    later = reports_ingest(items=[report_input()])

    ids = sorted(result.report_ids.values())
    assert ids == sorted(
        Report.objects.filter(external_id__startswith="seq-").values_list("pk", flat=True)
    )
    assert later.report_ids[next(iter(later.report_ids))] > ids[-1]


@requires_postgres
def test_a_failure_after_the_copy_stores_nothing(monkeypatch):
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit trail down")

    monkeypatch.setattr("moderation.services.intake.audit.record", broken)
    with pytest.raises(RuntimeError):
        reports_ingest(items=_batch("broken", 6))

    assert not Report.objects.filter(external_id__startswith="broken-").exists()
    assert not Subject.objects.filter(platform_id__startswith="broken-").exists()
    assert not Case.objects.filter(subject__platform_id__startswith="broken-").exists()
    assert not PlatformAccount.objects.filter(platform_id__startswith="broken-").exists()


@pytest.mark.parametrize("orm", [False, True], ids=["postgresql-path", "orm-path"])
def test_batch_dedupes_and_answers_as_before(monkeypatch, orm):
    if not orm and connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    with _orm_path(monkeypatch) if orm else transaction.atomic():
        first = reports_ingest(items=_batch("dup", 4))
        again = _batch("dup", 4)
        second = reports_ingest(items=[again[0], again[0], again[1], *_batch("dup2", 2)])

    assert sorted(first.created) == [f"dup-r{i}" for i in range(4)]
    assert second.duplicates == ["dup-r0", "dup-r1"]
    assert second.report_ids["dup-r0"] == first.report_ids["dup-r0"]
    assert second.case_ids["dup-r1"] == first.case_ids["dup-r1"]
    assert sorted(second.created) == ["dup2-r0", "dup2-r1"]
    assert Report.objects.filter(external_id__startswith="dup").count() == 6
    events = AuditEvent.objects.filter(action="reports.received").order_by("-id")[:2]
    assert [e.data["created"] for e in events] == [2, 4]
    assert [e.data["duplicates"] for e in events] == [2, 0]
