"""The Merkle log over the audit trail: sealing, checkpoints, proofs, export, tamper drills."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

import audit
from audit import checkpoint as notes
from audit import log, merkle
from audit.db import guards_suspended
from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf
from audit.verify import verify_directory

pytestmark = pytest.mark.django_db


def _events(n: int, start: int = 0) -> list[AuditEvent]:
    return [
        audit.record(
            action="case.claimed",
            target_type="moderation.case",
            target_id=start + i,
            data={"n": start + i, "text": "é ✓"},
        )
        for i in range(n)
    ]


def _sealed_log(n: int = 9) -> AuditCheckpoint:
    _events(n)
    log.seal()
    return log.checkpoint_create()


def test_seal_gives_gapless_indexes_in_order_and_is_idempotent():
    events = _events(5)

    first = log.seal()
    again = log.seal()

    assert (first.sealed, first.tree_size) == (5, 5)
    assert again.sealed == 0
    leaves = list(AuditLeaf.objects.order_by("leaf_index"))
    assert [leaf.leaf_index for leaf in leaves] == [0, 1, 2, 3, 4]
    assert [leaf.event_id for leaf in leaves] == [e.pk for e in events]
    for leaf, event in zip(leaves, events, strict=True):
        assert bytes(leaf.leaf_hash) == merkle.leaf_hash(log.event_bytes(event))


def test_stored_root_equals_the_root_of_all_leaves_after_several_seals():
    for batch in (1, 2, 5, 3, 8):
        _events(batch)
        log.seal()
    leaf_hashes = [
        bytes(h)
        for h in AuditLeaf.objects.order_by("leaf_index").values_list("leaf_hash", flat=True)
    ]

    assert log.root_at(len(leaf_hashes)) == merkle.root(leaf_hashes)
    assert log.root_at(7) == merkle.root(leaf_hashes[:7])


def test_checkpoint_is_a_signed_note_that_opens_with_the_public_key():
    cp = _sealed_log(9)

    opened = notes.open_checkpoint(cp.note, log.verifier_key())

    assert (opened.size, opened.root) == (9, bytes(cp.root_hash))
    assert cp.note.splitlines()[0] == "tsdash.example/audit-log"
    assert log.checkpoint_create().pk == cp.pk  # nothing new: no new checkpoint


def test_inclusion_proofs_verify_for_every_event():
    cp = _sealed_log(11)
    for event in AuditEvent.objects.all():
        proof = log.inclusion_proof_for(event=event, checkpoint=cp)
        merkle.verify_inclusion(
            proof["leaf_index"],
            proof["tree_size"],
            merkle.leaf_hash(proof["canonical"].encode()),
            [base64.b64decode(p) for p in proof["proof"]],
            bytes(cp.root_hash),
        )


def test_consistency_proof_between_checkpoints_verifies():
    old = _sealed_log(6)
    _events(7, start=100)
    log.seal()
    new = log.checkpoint_create()

    proof = log.consistency_proof_between(old=old, new=new)

    merkle.verify_consistency(
        6,
        13,
        bytes(old.root_hash),
        bytes(new.root_hash),
        [base64.b64decode(p) for p in proof["proof"]],
    )


def test_export_verifies_offline_and_commands_work(tmp_path: Path, capsys):
    _events(4)
    call_command("audit_seal")
    call_command("audit_export", str(tmp_path / "export"))

    report = verify_directory(tmp_path / "export")

    assert report.ok, report.errors
    assert report.tree_size >= 4
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


def _tamper(sql: str, params: list) -> None:
    with guards_suspended(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _drill_log() -> list[AuditEvent]:
    events = _events(8)
    log.seal()
    log.checkpoint_create()
    return events


def test_drill_one_byte_changed_in_an_event_is_named():
    events = _drill_log()
    _tamper("UPDATE audit_auditevent SET target_id = '99' WHERE id = %s", [events[3].pk])

    result = log.verify_live()

    assert not result.ok
    assert result.first_bad_index == 3
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_audit")


def test_drill_event_deleted_is_named():
    events = _drill_log()
    _tamper("DELETE FROM audit_auditleaf WHERE leaf_index = %s", [5])
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[5].pk])

    result = log.verify_live()

    assert not result.ok
    assert result.first_bad_index == 5


def test_drill_two_events_swapped_is_named():
    events = _drill_log()
    a, b = events[2], events[6]
    _tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", [json.dumps(b.data), a.pk])
    _tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", [json.dumps(a.data), b.pk])

    result = log.verify_live()

    assert not result.ok
    assert result.first_bad_index == 2


def test_drill_tail_truncated_is_caught_against_the_checkpoint():
    _drill_log()
    _tamper("DELETE FROM audit_auditleaf WHERE leaf_index >= %s", [6])

    result = log.verify_live()

    assert not result.ok
    assert "checkpoint" in result.message.lower()


def test_drill_forged_checkpoint_signature_is_caught():
    _drill_log()
    cp = AuditCheckpoint.objects.get()
    forged = cp.note.replace(cp.note.splitlines()[-1][-10:], "AAAAAAAAAA")
    _tamper("UPDATE audit_auditcheckpoint SET note = %s WHERE id = %s", [forged, cp.pk])

    result = log.verify_live()

    assert not result.ok
    assert "checkpoint" in result.message.lower()


def test_integrity_page_and_proof_downloads(auditor_client, moderator_client):
    cp = _sealed_log(3)
    event = AuditEvent.objects.order_by("id").first()

    page = auditor_client.get(reverse("audit:integrity"))
    proof = auditor_client.get(reverse("audit:event_proof", args=[event.pk]))
    consistency = auditor_client.get(
        reverse("audit:consistency_proof"), {"from": cp.tree_size, "to": cp.tree_size}
    )

    assert page.status_code == 200
    assert log.verifier_key() in page.content.decode()
    assert proof.status_code == 200
    assert json.loads(proof.content)["tree_size"] == cp.tree_size
    assert consistency.status_code == 200
    assert auditor_client.get(reverse("audit:consistency_proof"), {"from": "x"}).status_code == 400
    assert moderator_client.get(reverse("audit:integrity")).status_code == 403
    assert moderator_client.get(reverse("audit:event_proof", args=[event.pk])).status_code == 403


def test_verify_now_runs_a_verification(auditor_client, django_capture_on_commit_callbacks):
    from audit.models import AuditVerification

    _sealed_log(3)
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post(reverse("audit:verify_now"))

    assert response.status_code == 302
    run = AuditVerification.objects.get()
    assert run.status == AuditVerification.Status.PASSED
    assert AuditEvent.objects.filter(action="audit.verification_started").exists()


def test_a_finished_verification_keeps_its_first_outcome(auditor):
    from audit import verification
    from audit.log import LiveVerification
    from audit.models import AuditVerification

    run = AuditVerification.objects.create(requested_by=auditor)
    failed = LiveVerification(ok=False, message="leaf 3 differs", tree_size=9, first_bad_index=3)
    passed = LiveVerification(ok=True, message="", tree_size=9)

    verification.verification_finish(verification_id=run.pk, result=failed)
    again = verification.verification_finish(verification_id=run.pk, result=passed)

    run.refresh_from_db()
    assert (run.status, run.first_bad_index, run.progress) == ("failed", 3, 100)
    assert again.status == "failed"  # a redelivered task does not overwrite the finding


def test_unsealed_events_past_the_merge_delay_raise_the_alarm(settings, auditor_client):
    from datetime import timedelta

    from django.utils import timezone

    log.seal()  # whatever the fixtures recorded
    event = _events(1)[0]
    assert log.unsealed_overdue() == 0
    later = timezone.now() + timedelta(seconds=settings.AUDIT_MAX_MERGE_DELAY_SECONDS + 1)
    assert log.unsealed_overdue(now=later) == 1
    settings.AUDIT_MAX_MERGE_DELAY_SECONDS = -1
    assert "ALARM" in auditor_client.get(reverse("audit:integrity")).content.decode()

    log.seal()
    assert log.unsealed_overdue(now=later) == 0
    assert AuditLeaf.objects.filter(event=event).exists()


def test_public_key_command_and_checkpoint_page_links(capsys, auditor_client):
    old = _sealed_log(2)
    _events(3, start=50)
    log.seal()
    new = log.checkpoint_create()

    call_command("audit_public_key")
    assert capsys.readouterr().out.strip() == log.verifier_key()
    page = auditor_client.get(reverse("audit:integrity")).content.decode()
    assert f"from={old.tree_size}&amp;to={new.tree_size}" in page
