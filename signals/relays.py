"""The signals app's work the relay hands out again: reports not yet matched against the banks."""

from __future__ import annotations

from datetime import datetime

from outbox.relay import register
from signals.matcher_service import cursor_match


def matching_relay(now: datetime) -> int:
    return cursor_match(now=now)


register("signals.matching", matching_relay)
