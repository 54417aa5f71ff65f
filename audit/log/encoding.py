"""
An event's canonical bytes (audit.canonical) from what the audit table holds: its columns,
as the verifiers re-derive them, or the body `audit.record` wrote with it, as the sealer
reads it.

The body is the canonical text of the event with ID_MARK for its id, which the database
gives when it inserts the row; the sealer puts the id in. The address is put in by the
INSERT itself, as the database reads it back (PostgreSQL's inet normalises it, which Python
cannot be trusted to mimic).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.canonical import (
    EVENT_FIELDS,
    canonical_event_bytes,
    canonical_json_text,
    canonical_stored_event_bytes,
)
from audit.models import AuditEvent

#: The event columns the canonical encoding reads, in `event_row_bytes` order.
EVENT_COLUMNS = EVENT_FIELDS
EventRow = tuple[Any, ...]

#: Where the id goes in a body: U+0001, which canonical text never holds unescaped.
ID_MARK = "\x01"
#: The top-level id and address as a placeholder event encodes them. Only the top-level
#: members can be found last: after them come string values, in which a quote is escaped.
_ID_AND_ADDRESS = ',"id":0,"ip_address":null'


def occurred_text(value: datetime) -> str:
    """`occurred_at` as the canonical encoding writes it (YYYY-MM-DDTHH:MM:SS.ffffffZ)."""
    if value.utcoffset() != timedelta(0):
        value = value.astimezone(UTC)
    # isoformat is several times faster than strftime; same text for aware UTC times
    # (YYYY-MM-DDTHH:MM:SS.ffffff+00:00 with the offset replaced by Z).
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def event_row_dict(row: EventRow) -> dict[str, Any]:
    """The event object of a row of EVENT_COLUMNS (a `values_list` row, no model instance)."""
    pk, occurred, actor_id, username, roles, ip, request_id, action, t_type, t_id, data = row
    return {
        "id": pk,
        "occurred_at": occurred_text(occurred),
        "actor_id": actor_id,
        "actor_username": username,
        "actor_roles": list(roles),
        "ip_address": ip,
        "request_id": request_id,
        "action": action,
        "target_type": t_type,
        "target_id": t_id,
        "data": data,
    }


def event_row_bytes(row: EventRow) -> bytes:
    """The canonical bytes of a row of EVENT_COLUMNS read from the audit table."""
    return canonical_stored_event_bytes(event_row_dict(row))


_MODEL_ATTRS = ("pk", *EVENT_COLUMNS[1:])


def event_dict(event: AuditEvent) -> dict[str, Any]:
    return event_row_dict(tuple(getattr(event, name) for name in _MODEL_ATTRS))


def event_bytes(event: AuditEvent) -> bytes:
    return canonical_event_bytes(event_dict(event))


def event_body_parts(
    *,
    occurred_at: datetime,
    actor_id: int | None,
    actor_username: str,
    actor_roles: list[str],
    request_id: str,
    action: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any],
) -> tuple[str, str]:
    """
    The body `audit.record` stores with an event it writes, around the address: the text
    up to `"ip_address":` (with ID_MARK for the id) and the text after the address's value.
    The INSERT joins them with the address as the database reads it back (`address_json`).
    The caller has checked `data` (no floats, string keys); UnicodeEncodeError if a string
    cannot be UTF-8 (a lone surrogate), which could never be sealed.
    """
    text = canonical_json_text(
        {
            "action": action,
            "actor_id": actor_id,
            "actor_roles": actor_roles,
            "actor_username": actor_username,
            "data": data,
            "id": 0,
            "ip_address": None,
            "occurred_at": occurred_text(occurred_at),
            "request_id": request_id,
            "target_id": target_id,
            "target_type": target_type,
        }
    )
    text.encode("utf-8")
    at = text.rfind(_ID_AND_ADDRESS)
    head = f'{text[:at]},"id":{ID_MARK},"ip_address":'
    return head, text[at + len(_ID_AND_ADDRESS) :]


def address_json(ip_address: str | None) -> str:
    """The address member's value: the inet column's text needs no escaping."""
    return "null" if ip_address is None else f'"{ip_address}"'


def bytes_from_body(body: str, pk: int) -> bytes:
    """
    The canonical bytes of the event stored with `body`: its id in place of ID_MARK.
    ValueError if `body` is not an event body.
    """
    head, mark, tail = body.partition(ID_MARK)
    if not mark or ID_MARK in tail or not head.startswith('{"action":'):
        raise ValueError("not an event body")
    return f"{head}{pk:d}{tail}".encode()


_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def json_column(text: str) -> Any:
    """
    A JSON column's text as PostgreSQL sends it: one value, no surrounding whitespace. The
    decoder's scanner alone, without `json.loads`'s two whitespace searches, which cost a
    tenth of the live verification; anything else goes through `json.loads`.
    """
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)
