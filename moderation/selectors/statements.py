"""Statements of reasons for the platform and the Transparency Database, oldest first."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q

from moderation.models import Statement

PAGE_SIZE = 100
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class StatementCursor:
    """Where the previous page ended: its last statement's (created_at, id)."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> StatementCursor:
        """The cursor a client sent back; InvalidCursor for anything this did not make."""
        if not value or len(value) > 200:
            raise InvalidCursor("not a cursor")
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            stamp, pk = json.loads(raw)
            created_at = datetime.fromisoformat(stamp)
        except (binascii.Error, ValueError, TypeError, OverflowError):
            raise InvalidCursor("not a cursor") from None
        if created_at.tzinfo is None or type(pk) is not int or not 0 < pk < 2**63:
            raise InvalidCursor("not a cursor")
        if not _EARLIEST <= created_at < _LATEST:
            raise InvalidCursor("not a cursor")
        return cls(created_at=created_at, id=pk)


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
