"""Moving the outbox out of moderation kept every delivery (moderation 0005)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("moderation", "0004_report_language_detected"), ("outbox", "0001_initial")]
AFTER = [("moderation", "0005_delivery_moved_to_outbox")]


@pytest.mark.django_db(transaction=True)
def test_deliveries_move_to_the_outbox_with_their_references():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        case = old.get_model("moderation", "Case").objects.create(
            subject=_subject(old),
            subject_type="message",
            deadline_at=timezone.now(),
            category=old.get_model("moderation", "Category").objects.order_by("pk").first(),
        )
        Old = old.get_model("moderation", "Delivery")
        Old.objects.create(
            kind="enforcement",
            idempotency_key="enforce-1",
            case=case,
            payload={"a": 1},
            status="sent",
            attempts=2,
            last_error="",
        )
        Old.objects.create(kind="user_notice", idempotency_key="notice-1", payload={}, attempts=0)
        created = dict(Old.objects.values_list("idempotency_key", "created_at"))

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new = executor.loader.project_state(AFTER).apps
        rows = {
            d.idempotency_key: d for d in new.get_model("outbox", "Delivery").objects.order_by("pk")
        }
        assert set(rows) == {"enforce-1", "notice-1"}
        moved = rows["enforce-1"]
        assert (moved.topic_type, moved.topic_id) == ("moderation.case", str(case.pk))
        assert (moved.cause_type, moved.cause_id) == ("", "")
        assert (moved.status, moved.attempts, moved.payload) == ("sent", 2, {"a": 1})
        assert moved.created_at == created["enforce-1"]
        assert (rows["notice-1"].topic_type, rows["notice-1"].status) == ("", "pending")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _subject(apps):
    account = apps.get_model("moderation", "PlatformAccount").objects.create(platform_id="a-1")
    return apps.get_model("moderation", "Subject").objects.create(
        type="message", platform_id="m-1", author=account
    )
