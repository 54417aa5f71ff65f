"""
The relays' walk over reports: each background detector (hash matching, the classifier,
near-duplicate grouping) keeps a `MatchCursor` and hands the reports beyond it to its service,
so a report whose task was lost with the broker is still handled within a relay run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction

from moderation.models import Report
from signals.models import MatchCursor


def reports_beyond_cursor(
    *,
    name: str,
    now: datetime,
    grace: timedelta,
    batch: int,
    handle: Callable[[list[int]], int],
) -> int:
    """
    Hand up to `batch` report ids beyond the cursor `name` to `handle`, then move the cursor
    past them; returns what `handle` returned. Reports younger than `grace` are left to their
    own task (ids are handed out before commit, so a smaller id can commit after a larger
    one). The cursor row is locked, so two relays never walk the same batch.
    """
    with transaction.atomic(durable=True):
        cursor, _created = MatchCursor.objects.get_or_create(name=name)
        cursor = MatchCursor.objects.select_for_update().get(pk=cursor.pk)
        ids = list(
            Report.objects.filter(pk__gt=cursor.last_report_id, received_at__lt=now - grace)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return 0
        done = handle(ids)
        cursor.last_report_id = ids[-1]
        cursor.save(update_fields=["last_report_id", "updated_at"])
    return done
