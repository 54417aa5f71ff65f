"""What moderation's endpoints answer (the shared error answers are in api_core.schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import (
    Field,
)

from api_core.schemas import FieldErrorOut

_CASE_ID = Field(
    description="The case the report joined; null for a muted reporter's report about a "
    "subject no case holds (stored and counted, never queued)."
)
_HELD = Field(
    default=None,
    description="Set when the report was stored without being queued: 'cleared_recently' (its "
    "subject was cleared as no violation within FLOOD_QUIET_DAYS) or 'muted_reporter'.",
)


class ReportAcceptedOut(Schema):
    id: int
    case_id: int | None = _CASE_ID
    status: Literal["created", "duplicate"]
    held: Literal["cleared_recently", "muted_reporter"] | None = _HELD


class BatchResultOut(Schema):
    external_id: str
    status: Literal["created", "duplicate"]
    id: int
    case_id: int | None = _CASE_ID
    held: Literal["cleared_recently", "muted_reporter"] | None = _HELD


class BatchRejectedOut(Schema):
    index: int
    external_id: str | None
    errors: list[FieldErrorOut]


class BatchOut(Schema):
    results: list[BatchResultOut]
    rejected: list[BatchRejectedOut]


class StatementStandingOut(Schema):
    """Whether a statement still stands, or an appeal reversed or replaced its decision."""

    stands: bool = Field(description="False once an appeal reversed or replaced the decision.")
    status: Literal["in_force", "reversed", "superseded"] = Field(
        description="The decision's status: in force, reversed on appeal, or replaced on appeal."
    )
    superseded_by: str | None = Field(
        description=(
            "For a replaced decision, the PUID of the decision that replaced it (its statement "
            "follows in the feed when it restricts anything); null otherwise."
        )
    )
    supersedes: str | None = Field(
        description="The PUID of the decision this one replaced on appeal; null otherwise."
    )


class StatementsPageOut(Schema):
    statements: list[dict[str, Any]] = Field(
        description="Statements of reasons in the DSA Transparency Database's JSON shape."
    )
    standing: dict[str, StatementStandingOut] = Field(
        description="Each statement's standing, keyed by its PUID."
    )
    withdrawn: dict[str, StatementStandingOut] = Field(
        description=(
            "With `since`, on the first page: statements created before `since` whose decision "
            "an appeal reversed or replaced at or after `since`, keyed by PUID (empty otherwise)."
        )
    )
    withdrawn_truncated: bool = Field(
        description="True when more were withdrawn than listed: read the feed again in full."
    )
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: done.")


class AppealAcceptedOut(Schema):
    id: int
    status: Literal["created", "duplicate"]


class MediaOut(Schema):
    """A media item's facts: what the bytes are, never the bytes."""

    sha256: str = Field(description="SHA-256 of the bytes, lower-case hex: the item's identity.")
    md5: str = Field(description="MD5 of the bytes, lower-case hex (for hash lists that use it).")
    pdq: str | None = Field(
        description="Images: the PDQ perceptual hash (64 hex characters); null for videos."
    )
    pdq_quality: int | None = Field(
        description="Images: PDQ's quality, 0 to 100 (below 50, matches are unreliable)."
    )
    kind: Literal["image", "video"]
    mime: str = Field(description="The type detected from the bytes (not the one declared).")
    size: int = Field(description="Bytes.")
    width: int | None
    height: int | None
    received_at: datetime
    purged_at: datetime | None = Field(
        description="When the retention purge removed the file (the hashes stay); null before."
    )


class MediaIngestedOut(MediaOut):
    created: bool = Field(
        description="True when these bytes were new (201); false when already received (200)."
    )
