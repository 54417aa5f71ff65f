"""
The reported subject as the reports endpoint accepts it (moderation.api.schemas re-exports
it): what was reported, with the evidence as it stood, strict like every request model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.utils import timezone
from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from api_core.schemas import StrictIn
from moderation.api.fields import (
    AwareDatetime,
    ContentText,
    HttpUrl,
    Identifier64,
    Link,
    OptionalIdentifier64,
    Pdq,
    PlatformId,
    SearchQuery,
    Sha256,
    Text64,
    Text128,
)
from moderation.services.intake import (
    SubjectInput,
    chat_owner_problem,
    posted_at_refusal,
    provenance_problem,
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
