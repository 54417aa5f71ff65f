"""
POST /api/v1/media: the platform sends a reported image or video, as raw bytes.
GET /api/v1/media/{sha256}: what was received under that hash.

Reports name their media by `media_sha256`; the file may come before or after the report.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Path, Router, Status

from accounts.tokens import Scope
from api_core.auth import ApiTokenAuth
from api_core.http import ApiError
from api_core.schemas import ERRORS, ErrorOut
from moderation.api.schemas import MediaIngestedOut, MediaOut
from moderation.exceptions import (
    MediaEmpty,
    MediaRefused,
    MediaTooLarge,
    MediaTooLong,
    MediaTooManyPixels,
    MediaTypeRefused,
    MediaUndecodable,
)
from moderation.models import Media
from moderation.selectors.cases import media_by_sha256
from moderation.services.media import ACCEPTED, media_ingest

router = Router(tags=["media"])

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_STATUS: dict[type[MediaRefused], int] = {
    MediaEmpty: 400,
    MediaUndecodable: 400,
    MediaTooLarge: 413,
    MediaTooManyPixels: 413,
    MediaTooLong: 413,
    MediaTypeRefused: 415,
}
_BINARY = {"type": "string", "format": "binary"}
_BODY_TYPES = ("application/octet-stream", *ACCEPTED)
_BINARY_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes, as they are (not multipart, not base64).",
        "content": {content_type: {"schema": _BINARY} for content_type in _BODY_TYPES},
    }
}


def _limits() -> str:
    return ", ".join(f"{kind}s {limit} bytes" for kind, limit in settings.MEDIA_MAX_BYTES.items())


def _read_body(request: HttpRequest) -> bytes:
    """The raw body, read at most the largest kind's limit plus one byte; 413/415 otherwise."""
    content_type = request.content_type or ""
    if content_type and not (
        content_type == "application/octet-stream" or content_type.startswith(("image/", "video/"))
    ):
        raise ApiError(
            415,
            f"Send the file's raw bytes with Content-Type application/octet-stream (or the "
            f"file's image/ or video/ type), not {content_type[:100]}.",
        )
    limit = max(settings.MEDIA_MAX_BYTES.values())
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "The Content-Length header is not a number.") from None
    if declared > limit:
        raise ApiError(413, f"The body is {declared} bytes; the limits are {_limits()}.")
    data = request.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"The body is larger than {limit} bytes; the limits are {_limits()}.")
    return data


def _media_body(media: Media, **extra: Any) -> dict[str, Any]:
    return {
        "sha256": media.sha256,
        "md5": media.md5,
        "pdq": media.pdq or None,
        "pdq_quality": media.pdq_quality,
        "kind": media.kind,
        "mime": media.mime,
        "size": media.size,
        "width": media.width,
        "height": media.height,
        "received_at": media.received_at,
        "purged_at": media.purged_at,
        **extra,
    }


@router.post(
    "",
    auth=ApiTokenAuth(Scope.MEDIA),
    url_name="media_upload",
    summary="Send a reported image or video",
    description=(
        "Scope `media`. The body is the file's bytes (`Content-Type: "
        "application/octet-stream`, or its image/ or video/ type). The type is detected "
        "from the bytes: JPEG, PNG, GIF and WebP images, MP4, WebM and QuickTime videos. "
        "Reports refer to the file by its SHA-256 (`subject.media_sha256`), sent before or "
        "after it.\n\n"
        "201 with the file's hashes (SHA-256, MD5, and for images PDQ with its quality) "
        "when the bytes are new; 200 with the same when they were received before (nothing "
        "changes: the SHA-256 is the idempotency key). 400 for an empty body or a file that "
        "does not decode, 413 past the limit of its kind (or an image with too many "
        "pixels), 415 for any other type. The file is kept encrypted and never served back "
        "through this API."
    ),
    response={
        200: MediaIngestedOut,
        201: MediaIngestedOut,
        **{status: ERRORS[status] for status in (400, 401, 403, 413)},
        415: ErrorOut,
    },
    openapi_extra=_BINARY_BODY,
)
def media_upload(request: HttpRequest) -> Status[dict[str, Any]]:
    data = _read_body(request)
    try:
        result = media_ingest(data=data)
    except MediaRefused as exc:
        raise ApiError(_STATUS.get(type(exc), 400), str(exc.message)) from None
    return Status(201 if result.created else 200, _media_body(result.media, created=result.created))


@router.get(
    "/{sha256}",
    auth=ApiTokenAuth(Scope.MEDIA),
    url_name="media_detail",
    summary="What was received under a SHA-256",
    description=(
        "Scope `media`. The facts of a file received before: its hashes, type, size and "
        "dimensions, and `purged_at` once the retention purge removed the file (the hashes "
        "stay). 404 when no file with that SHA-256 was received; 422 when it is not 64 "
        "hexadecimal characters."
    ),
    response={
        200: MediaOut,
        **{status: ERRORS[status] for status in (401, 403, 422)},
        404: ErrorOut,
    },
)
def media_detail(
    request: HttpRequest,
    sha256: str = Path(..., description="The file's SHA-256, 64 hexadecimal characters."),
) -> Status[dict[str, Any]]:
    if not _SHA256.fullmatch(sha256):
        message = "Use 64 hexadecimal characters (a SHA-256)."
        raise ApiError(422, "The SHA-256 is not valid.", [{"field": "sha256", "message": message}])
    try:
        media = media_by_sha256(sha256=sha256.lower())
    except Media.DoesNotExist:
        raise ApiError(404, "No media with this SHA-256 was received.") from None
    return Status(200, _media_body(media))
