from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.keyset import KeysetCursor


@dataclass(frozen=True)
class RankedCursor(KeysetCursor):
    rank: int
    at: datetime
    id: int

    def is_valid(self) -> bool:
        return self.rank in (0, 1)


def test_keyset_cursor_round_trips_ints_and_datetimes_to_the_microsecond():
    cursor = RankedCursor(rank=1, at=datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC), id=42)

    assert RankedCursor.decode(cursor.encode()) == cursor


def test_keyset_cursor_writes_the_values_in_field_order():
    cursor = RankedCursor(rank=0, at=datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), id=7)

    assert cursor.encode() == "0_1000000_7"


@pytest.mark.parametrize(
    "raw",
    [None, "", "0_1", "0_1_2_3", "a_1_2", "0_1_x", "2_1_2", "0_1_" + "9" * 30, "0_1_2" + " " * 300],
)
def test_keyset_cursor_decode_answers_none_for_what_encode_did_not_write(raw):
    assert RankedCursor.decode(raw) is None
