"""
Retention of subscriber data: IP records older than `SUBSCRIBER_IP_RETENTION_DAYS` are
deleted (beat, daily), except those a preservation hold keeps.

A record is kept when an active hold (not released) on its account covers IP addresses and
its period contains the record's time (`date_from <= seen_at < date_to`, the same bounds as a
package's extraction). The purge works in batches, each its own transaction that reads the
active holds afresh, deletes, and records `subscriber_data.purged` with its counts; running
it again deletes nothing more, and a hold placed between two batches protects its records
from the next batch on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef, Value
from django.utils import timezone

import audit
from disclosures.models import DataCategory, PreservationHold, SubscriberIp

PURGE_BATCH = 1000


@dataclass
class PurgeSummary:
    cutoff: datetime
    deleted: int = 0
    kept_on_hold: int = 0


def _held_by_an_active_hold() -> Exists | Value:
    """Whether a SubscriberIp row (the outer query) is kept by an active hold on IP addresses."""
    # Few holds are active at a time; their categories are checked here rather than with a
    # JSON containment lookup, which SQLite lacks.
    hold_ids = [
        pk
        for pk, categories in PreservationHold.objects.filter(released_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "categories")
        if DataCategory.IP_ADDRESSES in (categories or [])
    ]
    if not hold_ids:
        return Value(False, output_field=BooleanField())
    return Exists(
        PreservationHold.objects.filter(
            pk__in=hold_ids,
            account=OuterRef("account"),
            date_from__lte=OuterRef("seen_at"),
            date_to__gt=OuterRef("seen_at"),
        )
    )


@transaction.atomic(durable=True)
def _ips_purge_batch(*, cutoff: datetime, after: int) -> tuple[int, int, int | None]:
    """One batch after the row id `after`: (deleted, kept on hold, last row id seen or None)."""
    rows = list(
        SubscriberIp.objects.filter(seen_at__lt=cutoff, pk__gt=after)
        .annotate(held=_held_by_an_active_hold())
        .order_by("pk")
        .values_list("pk", "held")[:PURGE_BATCH]
    )
    if not rows:
        return 0, 0, None
    doomed = [pk for pk, held in rows if not held]
    deleted = SubscriberIp.objects.filter(pk__in=doomed).delete()[0] if doomed else 0
    kept = len(rows) - len(doomed)
    audit.record(
        action="subscriber_data.purged",
        data={
            "deleted": deleted,
            "kept_on_hold": kept,
            "cutoff": cutoff.isoformat(),
            "retention_days": settings.SUBSCRIBER_IP_RETENTION_DAYS,
        },
    )
    return deleted, kept, rows[-1][0]


def subscriber_ips_purge(*, now: datetime | None = None) -> PurgeSummary:
    """Delete the IP records past retention that no active hold keeps; idempotent."""
    now = now or timezone.now()
    summary = PurgeSummary(cutoff=now - timedelta(days=settings.SUBSCRIBER_IP_RETENTION_DAYS))
    after = 0
    while True:
        deleted, kept, last = _ips_purge_batch(cutoff=summary.cutoff, after=after)
        if last is None:
            return summary
        summary.deleted += deleted
        summary.kept_on_hold += kept
        after = last
