"""
The parts of the throughput measurements that can be checked cheaply: the raw baselines they
compare the project against must be correct, or the ratios mean nothing.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.roles import Role
from audit import log
from audit.models import AuditEvent, AuditLeaf
from bench import audit as audit_bench
from bench import claims, extraction
from disclosures.crypto import blind_index
from disclosures.models import SubscriberIp
from moderation.models import Case, PlatformAccount
from tests.moderation.factories import make_case
from tests.utils import race, requires_postgres


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_raw_claim_never_hands_a_case_to_two_of_8_racing_moderators(make_user):
    cases = [make_case() for _ in range(12)]
    users = [make_user(Role.MODERATOR, username=f"racer{i}") for i in range(8)]
    events_before = AuditEvent.objects.filter(action="case.claimed").count()

    # 8 threads x 3 claims = 24 attempts on 12 cases: they compete for every one.
    results = race(*(claims.raw_claimer(user, 3) for user in users))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors
    assert claims.double_claims(results) == []
    claimed = sorted(pk for ids in results for pk in ids)
    assert claimed == sorted(c.pk for c in cases)  # every case once, and only once
    holders = dict(Case.objects.filter(pk__in=claimed).values_list("pk", "claimed_by_id"))
    for user, ids in zip(users, results, strict=True):
        assert all(holders[pk] == user.pk for pk in ids)
    # One audit event per claim, in the claim's own transaction.
    assert AuditEvent.objects.filter(action="case.claimed").count() == events_before + 12

    claims.release(claimed, {})
    assert set(Case.objects.filter(pk__in=claimed).values_list("status", flat=True)) == {"open"}
    assert not Case.objects.filter(pk__in=claimed, claimed_by__isnull=False).exists()


def test_double_claims_are_found_across_threads():
    assert claims.double_claims([[1, 2], [3], [2, 4]]) == [2]
    assert claims.double_claims([[1, 2], [3, 4]]) == []


@requires_postgres
@pytest.mark.django_db
def test_copied_audit_rows_are_a_log_verify_audit_accepts(make_user):
    actors = [make_user(Role.MODERATOR, username=f"writer{i}") for i in range(3)]
    audit_bench.seal_everything()  # the users' own events
    audit_bench.copy_events(300, actors=actors)

    size, event_ids, texts, hashes = audit_bench.pending_leaves()
    assert len(event_ids) == 300
    leaves, nodes = audit_bench.leaf_and_node_rows(size, event_ids, hashes)
    written = audit_bench.copy_leaves_and_nodes(leaves, nodes)
    assert written == 300 + len(nodes)

    assert log.tree_size() == size + 300
    assert log.seal().sealed == 0  # the copied leaves are the ones the sealer would add
    log.checkpoint_create()
    call_command("verify_audit")  # raises CommandError unless intact
    assert log.verify_live().ok
    audit_bench.plain_python(texts)  # the same bytes are canonical


@requires_postgres
@pytest.mark.django_db
def test_a_wrong_copied_leaf_hash_is_caught_by_verify_audit(make_user):
    """The check above is worth something: a bad baseline row fails verification."""
    actors = [make_user(Role.MODERATOR, username="writer")]
    audit_bench.seal_everything()
    audit_bench.copy_events(8, actors=actors)
    size, event_ids, _texts, hashes = audit_bench.pending_leaves()
    leaves, nodes = audit_bench.leaf_and_node_rows(size, event_ids, hashes)
    leaves[-1] = (*leaves[-1][:2], bytes(32), leaves[-1][3])
    audit_bench.copy_leaves_and_nodes(leaves, nodes)
    log.checkpoint_create()
    assert not log.verify_live().ok
    assert AuditLeaf.objects.count() == log.tree_size()


@requires_postgres
@pytest.mark.django_db
def test_generated_ip_records_decrypt_to_what_was_generated():
    from disclosures.package.build import extract

    values = extraction.pool()
    account = extraction.target_account()
    other = PlatformAccount.objects.create(platform_id="someone-else")
    assert extraction.target_insert(account.pk, 40, values) == 40
    extraction.filler_insert(0, 9, exclude=account.pk, values=values)

    rows = extract(extraction.scope(account))["ip_records"]
    assert [(r["ip"], r["port"], r["seen_at"]) for r in rows] == [
        (ip, port, seen.isoformat().replace("+00:00", "Z"))
        for ip, port, seen in extraction.expected_target_rows(40)
    ]
    filler = SubscriberIp.objects.filter(account=other).order_by("-seen_at")
    assert [r.ip for r in filler] == [extraction.address(g) for g in range(10)]
    for record in SubscriberIp.objects.all():
        assert record.ip_index == blind_index(record.ip, kind="ip")
