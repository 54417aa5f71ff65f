"""Statements of reasons for the platform and the Transparency Database, oldest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q

from core.keyset import KeysetCursor
from moderation.models import Appeal, Decision, Statement
from moderation.statements import puid_for

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
    # The decision, the one it replaced and the one that replaced it come in the same query,
    # so a page's standing (statement_standing) costs nothing more.
    statements = (
        Statement.objects.select_related("decision__supersedes", "decision__superseded_by")
        .only(
            "id",
            "puid",
            "created_at",
            "payload",
            "decision__status",
            "decision__uuid",
            "decision__supersedes__uuid",
            "decision__superseded_by__uuid",
        )
        .order_by("created_at", "id")
    )
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


@dataclass(frozen=True)
class StatementStanding:
    """
    Whether a statement still stands: an appeal may have reversed its decision, or replaced it
    with a new decision (whose statement, when it restricts anything, is a later one).
    """

    stands: bool
    status: str  # the decision's: in_force, reversed or superseded
    superseded_by: str | None  # the replacing decision's PUID
    supersedes: str | None  # the PUID of the decision this one replaced


def statement_standing(statement: Statement) -> StatementStanding:
    """The standing of a statement read by statements_page (no further query)."""
    decision = statement.decision
    replacement: Decision | None = getattr(decision, "superseded_by", None)
    replaced = decision.supersedes
    return StatementStanding(
        stands=decision.status == Decision.Status.IN_FORCE,
        status=decision.status,
        superseded_by=puid_for(replacement) if replacement else None,
        supersedes=puid_for(replaced) if replaced else None,
    )


def statements_standing(statements: list[Statement]) -> dict[str, dict[str, Any]]:
    """Each statement's standing as JSON, keyed by its PUID."""
    return {s.puid: asdict(statement_standing(s)) for s in statements}


WITHDRAWN_LIMIT = 1000


def statements_withdrawn_since(
    *, since: datetime, limit: int = WITHDRAWN_LIMIT
) -> tuple[dict[str, dict[str, Any]], bool]:
    """
    The standing of statements created before `since` whose decision an appeal took out of
    force at or after it, oldest first, and whether more than `limit` were left out. A client
    reading the feed from `since` learns of a reversal this way, though the reversed statement
    itself is on an earlier page (a replacement also comes as a new statement naming it).
    """
    decided_since = Appeal.objects.filter(
        decision=OuterRef("decision"),
        decided_at__gte=since,
        status__in=[Appeal.Status.REVERSED, Appeal.Status.MODIFIED],
    )
    withdrawn = list(
        Statement.objects.filter(created_at__lt=since)
        .filter(Exists(decided_since))
        .select_related("decision__supersedes", "decision__superseded_by")
        .only(
            "id",
            "puid",
            "created_at",
            "decision__status",
            "decision__uuid",
            "decision__supersedes__uuid",
            "decision__superseded_by__uuid",
        )
        .order_by("created_at", "id")[: limit + 1]
    )
    return statements_standing(withdrawn[:limit]), len(withdrawn) > limit
