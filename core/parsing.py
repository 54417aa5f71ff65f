"""Reading numbers that come from users (query strings, form fields) without ever crashing."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # a PostgreSQL bigint; SQLite refuses larger integers with OverflowError


def parse_id(text: object) -> int | None:
    """
    A database id from user input, or None when it is not one: only ASCII digits (`"¹"` and
    `"٣"` pass `str.isdigit`), at most 19 of them (Python refuses to convert more than 4300
    digits, and no id has more than 19), and no larger than a bigint.
    """
    if not isinstance(text, str) or not text or len(text) > 19:
        return None
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None
