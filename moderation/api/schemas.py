"""
What moderation's endpoints accept (field types in moderation.api.fields, answers in
moderation.api.outputs, re-exported here). Request models are strict: exact JSON types, no unknown
fields, lengths that fit the columns, and text the database can store (no NUL, no lone
surrogates), so a request that passes validation cannot fail at INSERT time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.utils import timezone
from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from api_core.schemas import StrictIn
from moderation.api.fields import (
    _STORABLE,
    AwareDatetime,
    CategoryCode,
    Identifier64,
    Identifier128,
    LanguageCode,
    LongText,
    Name80,
    OptionalIdentifier64,
    PlatformId,
    Puid,
    Reason,
    Score,
    Text80,
    Text128,
    Text200,
    _chars,
)
from moderation.api.outputs import (
    AppealAcceptedOut,
    BatchOut,
    BatchRejectedOut,
    BatchResultOut,
    MediaIngestedOut,
    MediaOut,
    ReportAcceptedOut,
    StatementsPageOut,
    StatementStandingOut,
)
from moderation.api.subjects import SubjectIn
from moderation.services.appeals import AppealInput
from moderation.services.intake import (
    CONTEXT_MAX_PER_SIDE,
    CONTEXT_TEXT_MAX,
    ContextMessageInput,
    ReportInput,
    SignalInput,
    context_refusal,
    posted_at_refusal,
)

MAX_BATCH = 500
MAX_SIGNALS = 20


class SignalIn(StrictIn):
    """An automated signal behind the report: a classifier's score or a hash-list match."""

    kind: Literal["classifier", "hash_match"]
    name: Name80
    label: Text80 | None = None
    score: Score = Field(description="0 to 1; stored as a whole percentage.")
    matched_hash: Text128 | None = None

    def to_input(self) -> SignalInput:
        return SignalInput(
            kind=self.kind,
            name=self.name,
            label=self.label or "",
            score=round(self.score * 100),
            matched_hash=self.matched_hash or "",
        )


ContextText = Annotated[str, _chars(CONTEXT_TEXT_MAX), _STORABLE]


class ContextMessageIn(StrictIn):
    """One message of the thread around the reported message, as it stood when reported."""

    position: Literal["before", "after"] = Field(description="Before or after the reported one.")
    message_id: PlatformId
    author_id: Identifier64
    author_name: Text128 | None = None
    posted_at: AwareDatetime = Field(
        description="Not in the future (a few minutes of clock skew are allowed)."
    )
    text: ContextText | None = None
    provenance: Literal["platform", "reporter"] = Field(
        description=(
            "'platform': observed by the platform in the group or channel; 'reporter': "
            "supplied by the reporter (from a private chat, say), vouched for by nobody. "
            "In a private group or channel every message is 'reporter' (the platform reads "
            "none of it)."
        )
    )

    @field_validator("posted_at")
    @classmethod
    def _not_posted_in_the_future(cls, value: datetime) -> datetime:
        refusal = posted_at_refusal(value, now=timezone.now())
        if refusal:
            raise PydanticCustomError("posted_at_future", "{reason}", {"reason": refusal})
        return value

    def to_input(self) -> ContextMessageInput:
        return ContextMessageInput(
            position=self.position,
            message_id=self.message_id,
            author_id=self.author_id,
            author_name=self.author_name or "",
            posted_at=self.posted_at,
            text=self.text or "",
            provenance=self.provenance,
        )


class ReportIn(StrictIn):
    """One notice. external_id is the idempotency key: sending it again changes nothing."""

    external_id: Identifier128
    category: CategoryCode = Field(
        description="A category code configured in the dashboard, e.g. 'spam'."
    )
    source: Literal["user", "trusted_flagger", "authority", "automated"]
    reporter_id: OptionalIdentifier64 = Field(
        description="The reporting account's platform id; may be empty for automated reports."
    )
    description: LongText
    reported_at: AwareDatetime
    language: LanguageCode | None = Field(
        default=None,
        description=(
            "Lower-case ISO 639-1 code of the content, one the EU Transparency Database lists "
            "(e.g. 'en'); detected from the text when left out."
        ),
    )
    flagger_name: Text200 | None = None
    signals: list[SignalIn] | None = Field(default=None, max_length=MAX_SIGNALS)
    subject: SubjectIn
    # After `subject`: its validator reads the subject validated before it.
    context: list[ContextMessageIn] | None = Field(
        default=None,
        max_length=2 * CONTEXT_MAX_PER_SIDE,
        description=(
            "For a message in a group or channel, public or private: up to "
            f"{CONTEXT_MAX_PER_SIDE} messages "
            f"before and {CONTEXT_MAX_PER_SIDE} after it, in thread order (every 'before' "
            "one, oldest first, then every 'after' one)."
        ),
    )

    @field_validator("context")
    @classmethod
    def _context_in_thread_order(
        cls, value: list[ContextMessageIn] | None, info: ValidationInfo
    ) -> list[ContextMessageIn] | None:
        subject = info.data.get("subject")
        refusal = context_refusal(
            [m.to_input() for m in value or ()],
            subject=subject.to_input() if isinstance(subject, SubjectIn) else None,
            now=timezone.now(),
        )
        if refusal:
            raise PydanticCustomError("context_invalid", "{reason}", {"reason": refusal})
        return value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("categories")
        if known is not None and value not in known:
            raise PydanticCustomError(
                "unknown_category",
                "Unknown category; use one of: {known}.",
                {"known": ", ".join(sorted(known))},
            )
        return value

    @field_validator("reporter_id")
    @classmethod
    def _reporter_unless_automated(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("source") != "automated":
            raise PydanticCustomError(
                "reporter_required", "Required unless the source is 'automated'."
            )
        return value

    def to_input(self) -> ReportInput:
        return ReportInput(
            external_id=self.external_id,
            category=self.category,
            source=self.source,
            reporter_id=self.reporter_id,
            description=self.description,
            reported_at=self.reported_at,
            subject=self.subject.to_input(),
            language=self.language or "",
            flagger_name=self.flagger_name or "",
            signals=tuple(s.to_input() for s in self.signals or ()),
            context=tuple(m.to_input() for m in self.context or ()),
        )


class ReportBatchIn(StrictIn):
    """Up to 500 reports in one request; each is accepted or rejected on its own."""

    reports: list[ReportIn] = Field(min_length=1, max_length=MAX_BATCH)


class AppealIn(StrictIn):
    """An appeal (DSA Art. 20) against a decision, named by its statement's PUID."""

    external_id: Identifier128
    decision_puid: Puid
    appellant_id: Identifier64
    reason: Reason
    submitted_at: AwareDatetime

    def to_input(self) -> AppealInput:
        return AppealInput(
            external_id=self.external_id,
            decision_puid=self.decision_puid,
            appellant_id=self.appellant_id,
            reason=self.reason,
            submitted_at=self.submitted_at,
        )


# --- Answers --------------------------------------------------------------------------------


__all__ = [
    "MAX_BATCH",
    "AppealAcceptedOut",
    "AppealIn",
    "AwareDatetime",
    "BatchOut",
    "BatchRejectedOut",
    "BatchResultOut",
    "ContextMessageIn",
    "MediaIngestedOut",
    "MediaOut",
    "ReportAcceptedOut",
    "ReportBatchIn",
    "ReportIn",
    "SignalIn",
    "StatementStandingOut",
    "StatementsPageOut",
    "SubjectIn",
]
