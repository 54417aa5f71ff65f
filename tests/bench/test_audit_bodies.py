"""
The audit benchmark's copied events carry the canonical body `audit.record` writes, so the
sealer is measured on the rows it seals in production; a body that disagreed with its fields
would be sealed and then fail verification.
"""

from __future__ import annotations

import pytest

import audit
from accounts.roles import Role
from audit import context, log
from audit.models import AuditEvent, AuditLeaf
from bench import audit as audit_bench
from tests.utils import requires_postgres


@requires_postgres
@pytest.mark.django_db
def test_copied_events_have_the_body_record_writes_and_seal_to_the_same_leaves(make_user):
    actors = [make_user(Role.MODERATOR, username=f"writer{i}") for i in range(3)]
    audit_bench.seal_everything()  # the users' own events
    bodies = audit_bench.event_bodies(50, actors=actors, start=7)
    audit_bench.copy_events(50, actors=actors, start=7, bodies=bodies)
    last = 7 + 50 - 1  # the last copied event, recorded again through record()
    with context.bind(ip_address=audit_bench.IP_ADDRESS, request_id=f"bench-{last}"):
        recorded = audit.record(
            action=audit_bench.ACTION,
            actor=actors[last % 3],
            target_type="moderation.case",
            target_id=str(last + 1),
            data=audit_bench.event_data(last, bodies.now.isoformat()),
        )

    size, event_ids, _texts, hashes = audit_bench.pending_leaves()
    copied = AuditEvent.objects.filter(pk__in=event_ids[:50]).values_list(
        "canonical_body", flat=True
    )
    stored = AuditEvent.objects.filter(pk=recorded.pk).values_list("canonical_body", flat=True)
    # The same event through record() and through the copy: the same body but its time.
    assert all(body for body in copied)
    assert stored.get().replace(_occurred(recorded), "") == bodies.texts[-1].replace(
        _occurred_of(bodies), ""
    )
    assert audit_bench.seal_everything() == 51
    assert [bytes(h) for h in AuditLeaf.objects.filter(leaf_index__gte=size)
            .order_by("leaf_index").values_list("leaf_hash", flat=True)] == hashes  # fmt: skip
    log.checkpoint_create()
    assert log.verify_live().ok


def _occurred(event: AuditEvent) -> str:
    from audit.log.encoding import occurred_text

    return occurred_text(event.occurred_at)


def _occurred_of(bodies: audit_bench.Bodies) -> str:
    from audit.log.encoding import occurred_text

    return occurred_text(bodies.now)
