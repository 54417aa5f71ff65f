"""
The canonical body `audit.record` writes with each event, which the sealer hashes instead of
re-encoding the event: it gives exactly the bytes the verifiers re-derive from the event's
fields, and it is never trusted by them. A field changed after recording, before or after
sealing, is found by `verify_audit` and by the standalone verifier of an export.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

import audit
from audit import context, log, merkle
from audit.canonical import EVENT_FIELDS, canonical_event_bytes
from audit.db import guards_suspended
from audit.log.encoding import address_json, bytes_from_body, event_body_parts
from audit.models import AuditEvent, AuditLeaf
from audit.services import InvalidAuditEvent
from audit.verify import verify_directory
from tests.audit.helpers import make_event
from tests.utils import requires_postgres

pytestmark = pytest.mark.django_db

#: Strings that look like the members the body is cut and spliced at, and escapes.
AWKWARD = {
    "ip_address": ',"ip_address":"1.2.3.4","occurred_at":"x"',
    "nested": {"a": {"ip_address": None, "id": 1}, "occurred_at": "2026-01-01T00:00:00.000000Z"},
    "text": 'quote " backslash \\ tab \t nul-free \x01 line \u2028 é ✓ 𝄞',
    "list": [1, -2, True, False, None, "", [], {}],
    "big": 10**20,
}


def _body(pk: int) -> str | None:
    return AuditEvent.objects.filter(pk=pk).values_list("canonical_body", flat=True).get()


def _stored(event: AuditEvent) -> AuditEvent:
    return AuditEvent.objects.get(pk=event.pk)


# --- the body is the event's bytes -------------------------------------------------------------
@pytest.mark.parametrize("i", range(12))
def test_body_parts_with_the_address_and_the_id_are_the_canonical_bytes(i):
    event = make_event(i)
    event["data"] = {**event["data"], **AWKWARD}
    head, tail = event_body_parts(
        occurred_at=_parsed(event["occurred_at"]),
        actor_id=event["actor_id"],
        actor_username=event["actor_username"],
        actor_roles=event["actor_roles"],
        request_id=event["request_id"],
        action=event["action"],
        target_type=event["target_type"],
        target_id=event["target_id"],
        data=event["data"],
    )

    body = head + address_json(event["ip_address"]) + tail

    assert bytes_from_body(body, event["id"]) == canonical_event_bytes(event)


def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("text", ["", "{}", '{"action":"a"}', "null"])
def test_something_that_is_not_a_body_is_refused(text):
    with pytest.raises(ValueError, match="not an event body"):
        bytes_from_body(text, 1)


# Addresses as the request context may hold them; PostgreSQL's inet prints some differently
# from Python (::102:304 comes back as ::1.2.3.4), which the body must follow.
@pytest.mark.parametrize(
    "ip", [None, "192.0.2.1", "2001:DB8:0:0:0:0:0:1", "::102:304", "::ffff:1.2.3.4", "fe80::1"]
)
def test_recorded_body_gives_the_bytes_the_verifier_derives_from_the_stored_fields(moderator, ip):
    with context.bind(ip_address=ip, request_id="req-body-1"):
        event = audit.record(action="system.tick", actor=moderator, data=AWKWARD)

    body = _body(event.pk)

    assert body is not None
    assert bytes_from_body(body, event.pk) == log.event_bytes(_stored(event))


def test_sealed_leaves_of_recorded_events_verify(moderator):
    with context.bind(ip_address="2001:db8::7"):
        events = [
            audit.record(action="system.tick", actor=moderator if i % 2 else None, data=AWKWARD)
            for i in range(5)
        ]
    log.seal_and_checkpoint()

    leaves = dict(AuditLeaf.objects.values_list("event_id", "leaf_hash"))
    for event in events:
        assert bytes(leaves[event.pk]) == merkle.leaf_hash(log.event_bytes(_stored(event)))
    assert log.verify_live().ok


@requires_postgres
def test_sealing_reads_the_bodies_not_the_json_columns():
    for i in range(20):
        audit.record(action="system.tick", target_type="audit.test", target_id=i, data=AWKWARD)

    with CaptureQueriesContext(connection) as captured:
        assert log.seal().sealed == 20

    reads = [q["sql"] for q in captured.captured_queries if '"canonical_body"' in q["sql"]]
    assert len(reads) == 1
    assert not [q["sql"] for q in captured.captured_queries if '"data"' in q["sql"]]
    log.checkpoint_create()
    assert log.verify_live().ok


def test_events_without_a_usable_body_are_sealed_from_their_fields():
    recorded = audit.record(action="system.tick", data={"n": 1})
    bare = AuditEvent.objects.create(action="system.tick", target_id="2", data={"n": 2})
    garbage = AuditEvent.objects.create(action="system.tick", data={"n": 3}, canonical_body="{}")

    assert _body(bare.pk) is None
    log.seal_and_checkpoint()

    leaves = dict(AuditLeaf.objects.values_list("event_id", "leaf_hash"))
    for event in (recorded, bare, garbage):
        assert bytes(leaves[event.pk]) == merkle.leaf_hash(log.event_bytes(_stored(event)))
    assert log.verify_live().ok


def test_record_refuses_a_string_that_can_never_be_sealed():
    with pytest.raises(InvalidAuditEvent, match="not valid Unicode"):
        audit.record(action="system.tick", data={"text": "lone \ud800 surrogate"})

    assert not AuditEvent.objects.exists()


def test_a_save_signal_receiver_still_runs_and_the_event_is_sealed_from_its_fields():
    seen: list[int] = []

    def receiver(instance: AuditEvent, **kwargs: object) -> None:
        seen.append(instance.pk)

    post_save.connect(receiver, sender=AuditEvent, dispatch_uid="h4-test-receiver")
    try:
        event = audit.record(action="system.tick", data={"n": 1})
    finally:
        post_save.disconnect(sender=AuditEvent, dispatch_uid="h4-test-receiver")

    assert seen == [event.pk]
    log.seal_and_checkpoint()
    assert log.verify_live().ok


# --- tampering ---------------------------------------------------------------------------------
def _new_value(field: str, event: AuditEvent, other_user_id: int) -> object:
    """A different, well-formed value of `field`, as a database parameter."""
    if field == "occurred_at":
        return connection.ops.adapt_datetimefield_value(event.occurred_at + timedelta(seconds=1))
    return {
        "actor_id": other_user_id,
        "actor_username": "mallory",
        "actor_roles": json.dumps(["Zz forged"]),
        "ip_address": "198.51.100.7",
        "request_id": "forged-request",
        "action": "case.viewed",
        "target_type": "moderation.other",
        "target_id": "99",
        "data": json.dumps({"n": 99}),
    }[field]


def _tamper(sql: str, params: list) -> None:
    with guards_suspended(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _export_verifies(tmp_path: Path) -> bool:
    log.export(tmp_path / "export")
    return verify_directory(tmp_path / "export", public_key=log.verifier_key()).ok


FIELDS = list(EVENT_FIELDS[1:])  # every column but the id


@pytest.mark.parametrize("moment", ["before sealing", "after sealing"])
@pytest.mark.parametrize("field", FIELDS)
def test_a_field_changed_after_recording_is_detected(moderator, auditor, tmp_path, field, moment):
    with context.bind(ip_address="192.0.2.1", request_id="req-tamper-1"):
        events = [
            audit.record(action="system.tick", actor=moderator, target_id=i, data={"n": i})
            for i in range(4)
        ]
    if moment == "after sealing":
        log.seal_and_checkpoint()
        assert log.verify_live().ok
        assert _export_verifies(tmp_path / "intact")

    _tamper(
        f"UPDATE audit_auditevent SET {field} = %s WHERE id = %s",
        [_new_value(field, events[2], auditor.pk), events[2].pk],
    )
    if moment == "before sealing":
        log.seal_and_checkpoint()

    result = log.verify_live()
    assert not result.ok
    assert result.first_bad_index == AuditLeaf.objects.get(event=events[2]).leaf_index
    assert "was changed" in result.message
    assert not _export_verifies(tmp_path)


@pytest.mark.parametrize("moment", ["before sealing", "after sealing"])
def test_the_body_is_never_what_the_verifiers_check(tmp_path, moment):
    events = [audit.record(action="system.tick", target_id=i, data={"n": i}) for i in range(3)]
    # The body of another event: what a forger who could only write bodies would try.
    forged = _body(events[0].pk)
    if moment == "after sealing":
        log.seal_and_checkpoint()

    _tamper("UPDATE audit_auditevent SET canonical_body = %s WHERE id = %s", [forged, events[1].pk])
    if moment == "before sealing":
        log.seal_and_checkpoint()

    result = log.verify_live()
    if moment == "before sealing":
        # The leaf was hashed from the forged body; the fields say otherwise.
        assert not result.ok
        assert result.first_bad_index == AuditLeaf.objects.get(event=events[1]).leaf_index
        assert not _export_verifies(tmp_path)
    else:
        # Once sealed, the body is read by nothing: the log is what the fields say.
        assert result.ok, result.message
        assert _export_verifies(tmp_path)
