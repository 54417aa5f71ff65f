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
    ContentText,
    HttpUrl,
    Identifier64,
    Identifier128,
    LanguageCode,
    Link,
    LongText,
    Name80,
    OptionalIdentifier64,
    Pdq,
    PlatformId,
    Puid,
    Reason,
    Score,
    SearchQuery,
    Sha256,
    Text64,
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
from moderation.services.appeals import AppealInput
from moderation.services.intake import (
    CONTEXT_MAX_PER_SIDE,
    CONTEXT_TEXT_MAX,
    ContextMessageInput,
    ReportInput,
    SignalInput,
    SubjectInput,
    chat_owner_problem,
    context_refusal,
    posted_at_refusal,
    provenance_problem,
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


class SubjectIn(StrictIn):
    """The reported thing, with the evidence as it stood when reported."""

    type: Literal["message", "channel", "group", "account", "bot", "media", "search_result"]
    platform_id: PlatformId
    author_id: Identifier64
    author_username: Text64 | None = None
    author_display_name: Text128 | None = None
    author_kind: Literal["user", "bot", "business"] | None = None
    chat_id: OptionalIdentifier64 | None = Field(
        default=None, validate_default=True, description="Required when type is 'message'."
    )
    chat_kind: (
        Literal["group", "channel", "private", "private_group", "private_channel", "secret"] | None
    ) = Field(
        default=None,
        description=(
            "Where the message or media was posted. Public, read by the platform: 'group', "
            "'channel'. Private amongst their participants, seen by the platform only through "
            "what reporters forward: 'private' (a one-to-one chat), 'private_group', "
            "'private_channel'. End-to-end encrypted, no readable copy on the platform: "
            "'secret'. In a secret chat nothing can be removed, labelled or restricted, only "
            "the author's account acted on; private chats are never delisted from search."
        ),
    )
    evidence_provenance: Literal["platform", "reporter"] | None = Field(
        default=None,
        description=(
            "Where the evidence (text, media) came from. 'platform': observed by the platform "
            "in public content it reads; 'reporter': forwarded by the reporter from a private "
            "or end-to-end encrypted chat, vouched for by nobody else. 'platform' is refused "
            "for a private kind. When left out: 'reporter' for 'private', 'private_group', "
            "'private_channel' and 'secret', 'platform' otherwise."
        ),
    )
    chat_owner_id: Identifier64 | None = Field(
        default=None,
        validate_default=True,
        description=(
            "The platform account that owns the chat. Required for a message in a "
            "'private_group' or 'private_channel' (its reports roll up into one case about "
            "the chat); refused for any other subject."
        ),
    )
    chat_title: Text128 | None = Field(
        default=None, description="The chat's title as shown to its members (optional)."
    )
    text: ContentText | None = None
    content_type: Literal["text", "image", "video", "audio", "synthetic", "other"] | None = None
    media_sha256: Sha256 | None = None
    media_pdq: Pdq | None = Field(
        default=None,
        description="PDQ hash (64 hex characters) the platform computed for media it keeps "
        "itself and does not send; matched against the hash banks like received media.",
    )
    media_pdq_quality: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="PDQ's quality for media_pdq (0-100); below 50 the hash is stored but not "
        "matched. Leave out when unknown.",
    )
    media_url: HttpUrl | None = None
    deep_link: Link | None = None
    search_query: SearchQuery | None = Field(
        default=None,
        description="What the user searched for (at most 256 characters); only when type is "
        "'search_result'. Matched against the blocked search terms.",
    )
    posted_at: AwareDatetime | None = Field(
        default=None, description="Not in the future (a few minutes of clock skew are allowed)."
    )

    @field_validator("posted_at")
    @classmethod
    def _not_posted_in_the_future(cls, value: datetime | None) -> datetime | None:
        refusal = posted_at_refusal(value, now=timezone.now())
        if refusal:
            raise PydanticCustomError("posted_at_future", "{reason}", {"reason": refusal})
        return value

    @field_validator("search_query")
    @classmethod
    def _queries_only_for_search_results(
        cls, value: str | None, info: ValidationInfo
    ) -> str | None:
        if value and info.data.get("type") != "search_result":
            raise PydanticCustomError(
                "search_query_type", "Only for a subject of type 'search_result'."
            )
        return value

    @field_validator("evidence_provenance")
    @classmethod
    def _provenance_possible(cls, value: str | None, info: ValidationInfo) -> str | None:
        refusal = provenance_problem(info.data.get("chat_kind") or "", value or "")
        if refusal:
            raise PydanticCustomError("provenance_impossible", "{reason}", {"reason": refusal})
        return value

    @field_validator("chat_owner_id")
    @classmethod
    def _owner_for_private_groups(cls, value: str | None, info: ValidationInfo) -> str | None:
        refusal = chat_owner_problem(
            subject_type=info.data.get("type") or "",
            chat_kind=info.data.get("chat_kind") or "",
            chat_owner_id=value or "",
        )
        if refusal:
            raise PydanticCustomError("chat_owner", "{reason}", {"reason": refusal})
        return value

    @field_validator("chat_id")
    @classmethod
    def _messages_have_a_chat(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("type") == "message" and not value:
            raise PydanticCustomError("chat_required", "Required when the subject is a message.")
        return value

    def to_input(self) -> SubjectInput:
        return SubjectInput(
            type=self.type,
            platform_id=self.platform_id,
            author_id=self.author_id,
            author_username=self.author_username or "",
            author_display_name=self.author_display_name or "",
            author_kind=self.author_kind or "user",
            chat_id=self.chat_id or "",
            chat_kind=self.chat_kind or "",
            text=self.text or "",
            content_type=self.content_type or "text",
            media_sha256=(self.media_sha256 or "").lower(),
            media_pdq=(self.media_pdq or "").lower(),
            media_pdq_quality=self.media_pdq_quality,
            media_url=self.media_url or "",
            deep_link=self.deep_link or "",
            search_query=self.search_query or "",
            posted_at=self.posted_at,
            evidence_provenance=self.evidence_provenance or "",
            chat_owner_id=self.chat_owner_id or "",
            chat_title=self.chat_title or "",
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
