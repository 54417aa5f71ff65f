"""
What moderation's endpoints accept and answer (the shared error answers are in
api_core.schemas). Request models are strict: exact JSON types, no unknown
fields, lengths that fit the columns, and text the database can store (no NUL, no lone
surrogates), so a request that passes validation cannot fail at INSERT time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from api_core.http import pattern_message
from api_core.schemas import FieldErrorOut, StrictIn
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
    language_refusal,
    posted_at_refusal,
    provenance_problem,
)

MAX_BATCH = 500
MAX_SIGNALS = 20
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

_ID = pattern_message(r"^[!-~]+$", "Use printable ASCII characters without spaces (an identifier).")
_ID_OR_EMPTY = pattern_message(
    r"^[!-~]*$", "Use printable ASCII characters without spaces (an identifier)."
)
_SLUG = pattern_message(r"^[-a-zA-Z0-9_]+$", "Use a category code (letters, digits, - and _).")
_LANGUAGE = pattern_message(r"^[a-z]{2}$", "Use a lower-case ISO 639-1 code such as 'en'.")
_SHA256 = pattern_message(r"^[0-9a-fA-F]{64}$", "Use 64 hexadecimal characters (a SHA-256).")
_PDQ = pattern_message(r"^[0-9A-Fa-f]{64}$", "Use 64 hexadecimal characters (a PDQ hash).")
_HTTP_URL = pattern_message(r"^https?://\S+$", "Use an http:// or https:// URL.")
_LINK = pattern_message(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", "Use a URL such as tg://... .")
_PUID = pattern_message(r"^[a-zA-Z0-9_-]+$", "Use the statement's PUID (letters, digits, - _).")


def _storable(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_unicode", "Must be valid Unicode text.") from None
    return value


def _chars(max_length: int, *, min_length: int = 0, pattern: str | None = None) -> Any:
    return StringConstraints(
        strict=True, min_length=min_length, max_length=max_length, pattern=pattern
    )


_STORABLE = AfterValidator(_storable)


def _listed_language(value: str) -> str:
    refusal = language_refusal(value)
    if refusal:
        raise PydanticCustomError("language_not_listed", "{reason}", {"reason": refusal})
    return value


def _aware_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "datetime_format", "Use an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z."
            ) from None
    else:
        raise PydanticCustomError(
            "datetime_type", "Use an ISO 8601 date and time string, e.g. 2026-01-31T12:00:00Z."
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError(
            "datetime_naive", "Include the time zone, e.g. 2026-01-31T12:00:00Z or +01:00."
        )
    if not EARLIEST <= parsed < LATEST:
        raise PydanticCustomError("datetime_range", "Use a date between 1970 and 2099.")
    return parsed


AwareDatetime = Annotated[datetime, BeforeValidator(_aware_datetime)]
Identifier64 = Annotated[str, _chars(64, min_length=1, pattern=_ID), _STORABLE]
Identifier128 = Annotated[str, _chars(128, min_length=1, pattern=_ID), _STORABLE]
OptionalIdentifier64 = Annotated[str, _chars(64, pattern=_ID_OR_EMPTY), _STORABLE]
Name80 = Annotated[str, _chars(80, min_length=1), _STORABLE]
Text64 = Annotated[str, _chars(64), _STORABLE]
Text80 = Annotated[str, _chars(80), _STORABLE]
Text128 = Annotated[str, _chars(128), _STORABLE]
SearchQuery = Annotated[str, _chars(256), _STORABLE]
Text200 = Annotated[str, _chars(200), _STORABLE]
LongText = Annotated[str, _chars(10_000), _STORABLE]
ContentText = Annotated[str, _chars(20_000), _STORABLE]
Reason = Annotated[str, _chars(10_000, min_length=1), _STORABLE]
PlatformId = Annotated[str, _chars(128, min_length=1, pattern=_ID), _STORABLE]
CategoryCode = Annotated[str, _chars(40, min_length=1, pattern=_SLUG), _STORABLE]
LanguageCode = Annotated[
    str, _chars(2, pattern=_LANGUAGE), _STORABLE, AfterValidator(_listed_language)
]
Sha256 = Annotated[str, _chars(64, pattern=_SHA256), _STORABLE]


def _not_blank_pdq(value: str) -> str:
    # An all-zero PDQ is what a blank or corrupt image hashes to (ThreatExchange #1609).
    if value and not value.strip("0"):
        raise PydanticCustomError(
            "pdq_blank", "An all-zero PDQ hash matches nothing; leave it out."
        )
    return value


Pdq = Annotated[str, _chars(64, pattern=_PDQ), _STORABLE, AfterValidator(_not_blank_pdq)]
HttpUrl = Annotated[str, _chars(500, pattern=_HTTP_URL), _STORABLE]
Link = Annotated[str, _chars(500, pattern=_LINK), _STORABLE]
Puid = Annotated[str, _chars(500, min_length=1, pattern=_PUID), _STORABLE]
Score = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


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
