"""Statements of reasons for the platform and the Transparency Database, oldest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q

from core.keyset import KeysetCursor
from moderation.models import Statement

PAGE_SIZE = 100
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StatementCursor(KeysetCursor):
    """Where the previous page ended: its last statement's (created_at, id)."""

    created_at: datetime
    id: int

    def is_valid(self) -> bool:
        return self.id > 0 and _EARLIEST <= self.created_at < _LATEST


def statements_page(
    *,
    since: datetime | None = None,
    after: StatementCursor | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Statement], StatementCursor | None]:
    """
    Up to `limit` statements created at or after `since`, following `after`, in
    (created_at, id) order, and the cursor of the next page (None on the last one).

    Keyset pagination on the (created_at, id) index: every page costs the same, and
    statements added while a client pages through appear at the end, never twice.
    """
    limit = max(1, min(limit, PAGE_SIZE))
    statements = Statement.objects.only("id", "created_at", "payload").order_by("created_at", "id")
    if since is not None:
        statements = statements.filter(created_at__gte=since)
    if after is not None:
        statements = statements.filter(
            Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.id)
        )
    rows = list(statements[: limit + 1])
    page = rows[:limit]
    more = len(rows) > limit
    return page, StatementCursor(page[-1].created_at, page[-1].pk) if more else None


def statements_batches(
    *, since: datetime | None = None, size: int = PAGE_SIZE
) -> Iterator[list[Statement]]:
    """Every statement since `since`, in pages of at most `size` (for exports)."""
    after = None
    while True:
        page, after = statements_page(since=since, after=after, limit=size)
        if page:
            yield page
        if after is None:
            return
