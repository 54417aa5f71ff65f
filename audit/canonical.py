"""
The canonical byte encoding of one audit event: the bytes that are hashed into the log.

Third parties reproduce these bytes to verify the log, so this is a specification; it must
never change for events already sealed. No Django here (the standalone verifier uses it).

Event object
    Exactly these eleven members, no others:

    ==================  ==========================================================
    ``id``              integer: the event's database id
    ``occurred_at``     string: UTC time, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six
                        fraction digits and a literal ``Z``), e.g.
                        ``"2026-11-28T21:03:14.123456Z"``
    ``actor_id``        integer or null
    ``actor_username``  string (may be empty)
    ``actor_roles``     array of strings
    ``ip_address``      string or null
    ``request_id``      string
    ``action``          string
    ``target_type``     string
    ``target_id``       string
    ``data``            JSON object (any depth; members are strings, integers, true, false,
                        null, arrays and objects)
    ==================  ==========================================================

Encoding (identical to Python's
``json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
allow_nan=False).encode("utf-8")``)
    * UTF-8, no byte order mark, no trailing newline.
    * No whitespace at all: ``,`` between members/elements, ``:`` between name and value.
    * The members of every object (the event and every object inside ``data``) are sorted
      by their names compared as sequences of Unicode code points. Member names are unique.
    * Integers are written in decimal without leading zeros, a ``-`` sign when negative,
      no exponent and no fraction. Numbers with a fraction or exponent (floats, NaN,
      Infinity) are forbidden anywhere: encode such values as strings or scaled integers.
    * ``true``, ``false``, ``null`` as in JSON.
    * Strings are written between ``"``; every character is written as itself (UTF-8),
      except: ``"`` as ``\\"``, ``\\`` as ``\\\\``, and the control characters U+0000-U+001F
      as ``\\b \\f \\n \\r \\t`` for U+0008, U+000C, U+000A, U+000D, U+0009 and as
      ``\\u00xx`` (four lower-case hex digits) for the others. ``/`` and U+007F and above
      are not escaped. Lone surrogates are forbidden (not valid UTF-8).

The leaf hash of the event in the Merkle log is SHA-256(0x00 || these bytes).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "EVENT_FIELDS",
    "EVENT_KEYS",
    "canonical_event_bytes",
    "canonical_json_text",
    "canonical_stored_event_bytes",
]

#: An event's fields, in the order the sealer reads them as columns (audit.log).
EVENT_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_roles",
    "ip_address",
    "request_id",
    "action",
    "target_type",
    "target_id",
    "data",
)
EVENT_KEYS = frozenset(EVENT_FIELDS)
_STRING_KEYS = ("actor_username", "request_id", "action", "target_type", "target_id")
_OCCURRED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


# One encoder for every event: json.dumps with these options builds a new JSONEncoder per
# call, which costs more than encoding a small event. The output is the same.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
# Values that need no further look (exact types: subclasses take the careful path).
_SCALARS = frozenset({str, int, bool, type(None)})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(value: Any, path: str) -> None:
    """Reject anything the canonical form does not allow (floats first of all)."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise ValueError(f"{path}: floats are not allowed in audit events (got {value!r})")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if type(item) not in _SCALARS:
                _check_value(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: object member names must be strings (got {key!r})")
            if type(item) not in _SCALARS:
                _check_value(item, f"{path}.{key}")
        return
    raise ValueError(f"{path}: {type(value).__name__} is not a JSON value")


def _check_event(event: Any) -> None:
    if not isinstance(event, dict):
        raise ValueError("an audit event must be a JSON object")
    if event.keys() != EVENT_KEYS:
        keys = set(event)
        missing = sorted(EVENT_KEYS - keys)
        extra = sorted(str(k) for k in keys - EVENT_KEYS)
        raise ValueError(f"audit event members wrong: missing {missing}, unexpected {extra}")
    if not _is_int(event["id"]):
        raise ValueError("id must be an integer")
    occurred = event["occurred_at"]
    if not isinstance(occurred, str) or not _OCCURRED_AT.fullmatch(occurred):
        raise ValueError(
            f"occurred_at must look like 2026-11-28T21:03:14.123456Z (got {occurred!r})"
        )
    if event["actor_id"] is not None and not _is_int(event["actor_id"]):
        raise ValueError("actor_id must be an integer or null")
    for key in _STRING_KEYS:
        if not isinstance(event[key], str):
            raise ValueError(f"{key} must be a string")
    roles = event["actor_roles"]
    if not isinstance(roles, list | tuple) or not all(isinstance(r, str) for r in roles):
        raise ValueError("actor_roles must be an array of strings")
    if event["ip_address"] is not None and not isinstance(event["ip_address"], str):
        raise ValueError("ip_address must be a string or null")
    if not isinstance(event["data"], dict):
        raise ValueError("data must be a JSON object")
    _check_value(event["data"], "data")


def canonical_event_bytes(event: dict[str, Any]) -> bytes:
    """The canonical encoding of `event` (see the module docstring). ValueError if invalid."""
    _check_event(event)
    # UnicodeEncodeError (a ValueError) on lone surrogates
    return _ENCODER.encode(event).encode("utf-8")


def canonical_json_text(value: Any) -> str:
    """
    The canonical text of any JSON value, unchecked: for callers that have already held the
    value to the rules above (the recorder checks its payload before it writes the event).
    """
    return _ENCODER.encode(value)


def canonical_stored_event_bytes(event: dict[str, Any]) -> bytes:
    """
    `canonical_event_bytes` for an event built from the audit table's typed columns (the
    sealer and the live verifier read millions): integers, strings and the formatted time
    are already what the encoding wants, so only the two JSON columns (`actor_roles`,
    `data`), which can hold anything, are checked. Same bytes, same ValueError on bad JSON.
    """
    roles = event["actor_roles"]
    if not isinstance(roles, list | tuple) or not all(isinstance(r, str) for r in roles):
        raise ValueError("actor_roles must be an array of strings")
    data = event["data"]
    if not isinstance(data, dict):
        raise ValueError("data must be a JSON object")
    _check_value(data, "data")
    return _ENCODER.encode(event).encode("utf-8")
