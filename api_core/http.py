"""Request bodies and error answers shared by the API's endpoints."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from pydantic import ValidationError

# Largest accepted request body. A full batch of 500 typical reports is well under 1 MB;
# a client sending more should split its batch. (Django's DATA_UPLOAD_MAX_MEMORY_SIZE does
# not apply: the body is read here, with this limit.)
MAX_BODY_BYTES = 5 * 1024 * 1024

# Errors listed per report at most: enough to fix it, bounded whatever the body holds.
MAX_ERRORS = 50

_PATTERN_MESSAGES: dict[str, str] = {}


@dataclass
class ApiError(Exception):
    """An answer other than success: rendered as {"detail": ..., "errors": [...]}."""

    status: int
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"detail": self.detail}
        if self.status == 422:
            answer["errors"] = self.errors
        return answer


def pattern_message(pattern: str, message: str) -> str:
    """Register the message shown when a string does not match `pattern`; returns pattern."""
    _PATTERN_MESSAGES[pattern] = message
    return pattern


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def field_errors(exc: ValidationError, *, prefix: tuple[Any, ...] = ()) -> list[dict[str, str]]:
    """Pydantic's errors as [{"field": "subject.chat_id", "message": "..."}]."""
    errors = []
    for error in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]:
        message = error["msg"]
        if error["type"] == "string_pattern_mismatch":
            message = _PATTERN_MESSAGES.get(error.get("ctx", {}).get("pattern", ""), message)
        elif error["type"] == "missing":
            message = "This field is required."
        elif error["type"] == "extra_forbidden":
            message = "Unknown field."
        errors.append({"field": _field_path(prefix + tuple(error["loc"])), "message": message})
    return errors


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_json(request: HttpRequest) -> Any:
    """
    The request's JSON body, read at most MAX_BODY_BYTES; ApiError 400/413 otherwise.

    NaN and Infinity are refused: they are not JSON, and no field accepts them.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "The Content-Length header is not a number.") from None
    if declared > MAX_BODY_BYTES:
        raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES} bytes; split the batch.")
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"The body is larger than {MAX_BODY_BYTES} bytes; split the batch.")
    if not raw.strip():
        raise ApiError(400, "The body is empty (or sent without Content-Length): send JSON.")
    if request.content_type != "application/json":
        raise ApiError(400, "Send the body as JSON with 'Content-Type: application/json'.")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "The body is not valid UTF-8.") from None
    except RecursionError:
        raise ApiError(400, "The body is nested too deeply.") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise ApiError(400, f"The body is not valid JSON: {exc}.") from None
