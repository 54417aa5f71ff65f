"""
The audit trail at volume: the recorder reads an actor's roles once, the sealer writes its rows
with COPY (PostgreSQL) from column values rather than model instances, and the live verifier
checks everything in one streamed pass. Same bytes, same tree, same findings as before.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

import audit
from audit import log, merkle
from audit.canonical import canonical_event_bytes, canonical_stored_event_bytes
from audit.db import guards_suspended
from audit.log import live
from audit.models import AuditEvent, AuditLeaf, AuditNode
from tests.utils import requires_postgres

pytestmark = pytest.mark.django_db


def _role_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if '"auth_group"' in q["sql"]]


def _record(n: int, actor=None, start: int = 0) -> list[AuditEvent]:
    return [
        audit.record(
            action="system.tick",
            actor=actor,
            target_type="audit.test",
            target_id=start + i,
            data={"i": start + i, "text": "é ✓ \u2028", "nested": {"b": [1, None, True], "a": ""}},
        )
        for i in range(n)
    ]


# --- recording -------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 25])
def test_recording_n_events_for_one_actor_reads_its_roles_once(moderator, n):
    with CaptureQueriesContext(connection) as captured:
        events = _record(n, actor=moderator)

    assert len(_role_queries(captured)) == 1
    # One insert per event and nothing else per event.
    assert len(captured.captured_queries) == n + 1
    roles = sorted(moderator.groups.values_list("name", flat=True))
    assert roles
    assert all(event.actor_roles == roles for event in events)


def test_a_role_change_is_in_the_next_event(moderator):
    before = _record(1, actor=moderator)[0]
    extra = Group.objects.create(name="Zz extra role")
    moderator.groups.add(extra)
    after = _record(1, actor=moderator)[0]
    moderator.groups.remove(extra)
    again = _record(1, actor=moderator)[0]

    assert "Zz extra role" not in before.actor_roles
    assert after.actor_roles == sorted([*before.actor_roles, "Zz extra role"])
    assert again.actor_roles == before.actor_roles


def test_roles_are_read_per_actor(moderator, auditor):
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            _record(1, actor=moderator)
            _record(1, actor=auditor)

    assert len(_role_queries(captured)) == 2
    assert AuditEvent.objects.filter(actor=auditor).first().actor_roles == sorted(
        auditor.groups.values_list("name", flat=True)
    )


# --- encoding --------------------------------------------------------------------------------
def test_row_encoding_is_the_canonical_encoding_of_the_event(moderator):
    events = [*_record(3, actor=moderator), *_record(2)]
    rows = dict(
        (row[0], row) for row in AuditEvent.objects.values_list(*log.EVENT_COLUMNS).order_by("id")
    )
    for event in events:
        event.refresh_from_db()
        want = canonical_event_bytes(
            {
                "id": event.pk,
                "occurred_at": event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "actor_id": event.actor_id,
                "actor_username": event.actor_username,
                "actor_roles": list(event.actor_roles),
                "ip_address": event.ip_address,
                "request_id": event.request_id,
                "action": event.action,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "data": event.data,
            }
        )
        assert log.event_row_bytes(rows[event.pk]) == want
        assert log.event_bytes(event) == want
        assert (
            json.dumps(
                json.loads(want), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
            == want
        )


@pytest.mark.parametrize(
    ("member", "value", "match"),
    [
        ("data", {"amount": 1.5}, "floats"),
        ("data", {"deep": [{"x": float("nan")}]}, "floats"),
        ("data", {1: "key not a string"}, "names must be strings"),
        ("data", ["not", "an", "object"], "data must be a JSON object"),
        ("actor_roles", ["ok", 3], "actor_roles"),
        ("actor_roles", "moderator", "actor_roles"),
    ],
)
def test_stored_event_encoding_refuses_what_the_canonical_encoding_refuses(member, value, match):
    event = log.event_row_dict(
        (1, AuditEvent().occurred_at, None, "", [], None, "", "system.tick", "", "", {})
    )
    event[member] = value

    with pytest.raises(ValueError, match=match):
        canonical_event_bytes(event)
    with pytest.raises(ValueError, match=match):
        canonical_stored_event_bytes(event)


# --- sealing ---------------------------------------------------------------------------------
def _stored_tree() -> tuple[list[bytes], dict[tuple[int, int], bytes]]:
    leaves = [
        bytes(h)
        for h in AuditLeaf.objects.order_by("leaf_index").values_list("leaf_hash", flat=True)
    ]
    nodes = {
        (lv, p): bytes(h) for lv, p, h in AuditNode.objects.values_list("level", "position", "hash")
    }
    return leaves, nodes


def test_sealed_rows_are_exactly_the_tree_of_the_events_bytes(moderator):
    _record(7, actor=moderator)
    log.seal(batch=3)
    _record(30, start=7)
    while log.seal(batch=11).sealed:
        pass

    events = list(AuditEvent.objects.order_by("id"))
    expected = merkle.MemoryTree(merkle.leaf_hash(log.event_bytes(e)) for e in events)
    leaves, nodes = _stored_tree()

    assert leaves == [expected.leaf(i) for i in range(len(events))]
    assert nodes == expected.nodes
    assert log.root_at(len(events)) == expected.root()
    pairs = AuditLeaf.objects.order_by("leaf_index").values_list("leaf_index", "event_id")
    assert [pk for _, pk in pairs] == [e.pk for e in events]


def test_sealing_never_builds_an_event_model_instance(monkeypatch):
    _record(12)

    def refuse(*args, **kwargs):
        raise AssertionError("an AuditEvent instance was built")

    monkeypatch.setattr(AuditEvent, "from_db", classmethod(refuse))
    while log.seal(batch=5).sealed:
        pass
    assert log.checkpoint_create() is not None
    assert log.verify_live().ok


@requires_postgres
def test_seal_writes_its_rows_with_copy_whatever_the_batch_size():
    def seal_queries(n: int, start: int) -> list[str]:
        _record(n, start=start)
        with CaptureQueriesContext(connection) as captured:
            assert log.seal().sealed == n
        return [q["sql"] for q in captured.captured_queries]

    seal_queries(5, 0)  # a tree to extend: its right border is read (one query)
    small = seal_queries(3, 5)
    large = seal_queries(600, 8)

    # COPY runs on the driver's cursor: no INSERT statement per row or per batch of rows.
    assert len(large) == len(small)
    assert not [sql for sql in large if "INSERT INTO" in sql]
    leaves, nodes = _stored_tree()
    assert len(leaves) == 608
    assert nodes == merkle.MemoryTree(leaves).nodes


# --- verifying -------------------------------------------------------------------------------
def test_verify_live_reads_in_a_constant_number_of_queries(monkeypatch):
    monkeypatch.setattr(live, "VERIFY_CHUNK", 7)

    def verify_queries(n: int, start: int) -> int:
        _record(n, start=start)
        log.seal_and_checkpoint()
        with CaptureQueriesContext(connection) as captured:
            result = log.verify_live()
        assert result.ok, result.message
        return len(captured.captured_queries)

    assert verify_queries(3, 0) == verify_queries(60, 3)


def test_verify_live_still_names_an_event_changed_to_a_non_canonical_value():
    events = _record(6)
    log.seal_and_checkpoint()
    with guards_suspended(connection), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = %s WHERE id = %s",
            [json.dumps({"amount": 1.5}), events[4].pk],
        )

    result = log.verify_live()

    assert not result.ok
    assert result.first_bad_index == 4
    assert "floats are not allowed" in result.message


def test_verify_live_names_unsorted_roles_and_a_changed_leaf_hash():
    events = _record(5)
    log.seal_and_checkpoint()
    with guards_suspended(connection), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_roles = %s WHERE id = %s",
            [json.dumps(["b", "a"]), events[2].pk],
        )

    result = log.verify_live()

    assert not result.ok
    assert result.first_bad_index == 2
    assert "not sorted" in result.message


def test_verify_live_reports_progress_per_chunk(monkeypatch):
    monkeypatch.setattr(live, "VERIFY_CHUNK", 4)
    _record(10)
    log.seal_and_checkpoint()
    seen: list[int] = []

    assert log.verify_live(progress=seen.append).ok
    assert seen == [36, 72, 100]
