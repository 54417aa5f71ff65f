"""
The field types moderation's request models are built from: identifiers, texts that fit their
columns and the database can store (no NUL, no lone surrogates), aware datetimes within range,
hashes, links. Each refusal says what to send instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from api_core.http import pattern_message
from moderation.services.intake import (
    language_refusal,
)

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
