"""
The sealer runs every ten seconds: with nothing to do it must cost the same at any size of
the log. It finds work from the highest sealed event id (indexed reads), never by joining
every event to its leaf; late commits below that id are still sealed.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import audit
from audit import log
from audit.models import AuditEvent, AuditLeaf
from tests.utils import requires_postgres

pytestmark = pytest.mark.django_db

#: An idle run: savepoint, (PostgreSQL) the sealer's lock, tree size, highest sealed id,
#: two counts over the look-back, the select past the highest id, release.
IDLE_SEAL_QUERIES = 8


def _record(n: int) -> None:
    for i in range(n):
        audit.record(action="system.tick", target_type="audit.test", target_id=i, data={"i": i})


def _joins_events_and_leaves(sql: str) -> bool:
    text = sql.lower()
    return "audit_auditevent" in text and "audit_auditleaf" in text


def _idle_seal_queries() -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        result = log.seal()
    assert result.sealed == 0
    return [q["sql"] for q in captured.captured_queries]


def test_idle_seal_issues_a_few_indexed_queries_and_never_joins_events_to_leaves(
    django_assert_max_num_queries,
):
    _record(30)
    while log.seal().sealed:
        pass

    with django_assert_max_num_queries(IDLE_SEAL_QUERIES):
        queries = _idle_seal_queries()

    assert [q for q in queries if _joins_events_and_leaves(q)] == []
    assert [q for q in queries if re.search(r"\bjoin\b", q, re.IGNORECASE)] == []


def test_idle_seal_query_count_does_not_grow_with_the_log():
    _record(5)
    log.seal()
    small = _idle_seal_queries()

    _record(400)
    log.seal()
    large = _idle_seal_queries()

    assert len(large) == len(small)


def test_backlog_and_overdue_alarm_never_join_events_to_leaves():
    _record(10)
    log.seal()
    _record(3)

    with CaptureQueriesContext(connection) as captured:
        backlog = log.backlog()
        overdue = log.unsealed_overdue(now=timezone.now() + timedelta(seconds=10 * 24 * 3600))

    assert (backlog.unsealed, backlog.overdue) == (3, 0)
    assert overdue == 3
    assert len(captured.captured_queries) <= 8
    assert not [q for q in captured.captured_queries if _joins_events_and_leaves(q["sql"])]


def test_integrity_page_counts_do_not_join_events_to_leaves_nor_grow(auditor_client):
    _record(3)
    log.seal()
    _record(2)
    url = reverse("audit:integrity")

    with CaptureQueriesContext(connection) as small:
        page = auditor_client.get(url)
    _record(200)
    log.seal()
    _record(2)
    with CaptureQueriesContext(connection) as large:
        auditor_client.get(url)

    assert "2 event(s) waiting to be sealed" in page.content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    joined = [q["sql"] for q in large.captured_queries if _joins_events_and_leaves(q["sql"])]
    assert joined == []


def _event_with_id(pk: int) -> AuditEvent:
    """An event whose id was taken before higher ids were sealed: a late commit."""
    return AuditEvent.objects.create(
        id=pk, action="system.tick", target_type="audit.test", target_id=str(pk)
    )


def test_a_late_commit_below_the_highest_sealed_id_is_sealed_by_the_next_run():
    _record(3)
    log.seal()
    base = AuditEvent.objects.aggregate(top=Max("id"))["top"] + 10 * log.SEAL_LOOKBACK
    _event_with_id(base)
    log.seal()
    late = _event_with_id(base - 10)

    assert log.backlog().unsealed == 1
    result = log.seal()

    assert result.sealed == 1
    leaf = AuditLeaf.objects.get(event=late)
    assert leaf.leaf_index == result.tree_size - 1  # the next index, not its id's place
    assert log.backlog().unsealed == 0
    log.checkpoint_create()
    assert log.verify_live().ok


def test_a_straggler_beyond_the_look_back_is_sealed_before_the_next_checkpoint():
    _record(3)
    log.seal()
    base = AuditEvent.objects.aggregate(top=Max("id"))["top"] + 10 * log.SEAL_LOOKBACK
    _event_with_id(base)
    log.seal()
    straggler = _event_with_id(base - 5 * log.SEAL_LOOKBACK)

    assert log.seal().sealed == 0  # outside the ten-second run's look-back
    checkpoint = log.checkpoint_create()

    leaf = AuditLeaf.objects.get(event=straggler)
    assert checkpoint.tree_size == leaf.leaf_index + 1
    assert AuditEvent.objects.count() == log.tree_size()
    assert log.verify_live().ok


def test_sealing_in_small_batches_takes_late_commits_first_and_loses_nothing():
    _record(2)
    log.seal()
    base = AuditEvent.objects.aggregate(top=Max("id"))["top"] + 10 * log.SEAL_LOOKBACK
    _event_with_id(base)
    log.seal()
    _event_with_id(base - 3)
    _event_with_id(base + 1)
    _event_with_id(base + 2)

    first = log.seal(batch=2)
    second = log.seal(batch=2)

    assert (first.sealed, second.sealed) == (2, 1)
    order = list(AuditLeaf.objects.order_by("leaf_index").values_list("event_id", flat=True))[-3:]
    assert order == [base - 3, base + 1, base + 2]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_late_commit_on_postgresql_is_sealed_by_the_next_run():
    """A writer takes an id, a later event commits and is sealed, then the writer commits."""
    recorded, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                audit.record(action="system.tick", data={"slow": True})
                recorded.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert recorded.wait(timeout=30)
    fast = audit.record(action="system.tick", data={"fast": True})
    log.seal()  # seals the fast event; the slow one is not visible yet
    release.set()
    writer.join(timeout=30)

    slow = AuditEvent.objects.get(data__slow=True)
    assert slow.pk < fast.pk
    assert not AuditLeaf.objects.filter(event=slow).exists()
    assert log.backlog().unsealed == 1
    assert log.seal().sealed == 1
    assert (
        AuditLeaf.objects.get(event=slow).leaf_index > AuditLeaf.objects.get(event=fast).leaf_index
    )
    log.checkpoint_create()
    assert log.verify_live().ok
