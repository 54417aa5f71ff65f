"""
Keyset pagination cursors: where the previous page ended, as the values of its ordering
columns, carried through a URL as text.

A cursor is a frozen dataclass whose fields are ints and aware datetimes, in the order of the
page's ordering; `encode` writes them as underscore-separated integers (a datetime as
microseconds since the Unix epoch), and `decode` reads back only what `encode` could have
written, answering None for anything else.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Self

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_INT64 = 2**63
MAX_LENGTH = 200


@dataclasses.dataclass(frozen=True)
class KeysetCursor:
    """Base of the cursors: subclass it as a frozen dataclass of int and datetime fields."""

    SEPARATOR: ClassVar[str] = "_"

    def encode(self) -> str:
        return self.SEPARATOR.join(
            str(_to_int(getattr(self, f.name))) for f in dataclasses.fields(self)
        )

    @classmethod
    def decode(cls, raw: str | None) -> Self | None:
        """The cursor a client sent back, or None when it is not one this class wrote."""
        fields = dataclasses.fields(cls)
        if not raw or len(raw) > MAX_LENGTH:
            return None
        parts = raw.split(cls.SEPARATOR)
        if len(parts) != len(fields):
            return None
        values: dict[str, Any] = {}
        try:
            for f, part in zip(fields, parts, strict=True):
                number = int(part)
                if not -_INT64 < number < _INT64:
                    return None
                is_datetime = f.type in (datetime, "datetime")
                values[f.name] = EPOCH + number * _MICROSECOND if is_datetime else number
        except (ValueError, OverflowError):
            return None
        cursor = cls(**values)
        return cursor if cursor.is_valid() else None

    def is_valid(self) -> bool:
        """Further checks of a decoded cursor (a known rank, a positive id...)."""
        return True


def _to_int(value: int | datetime) -> int:
    if isinstance(value, datetime):
        return (value - EPOCH) // _MICROSECOND
    return value
