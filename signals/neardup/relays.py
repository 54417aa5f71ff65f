"""Work of signals.neardup the relay hands out again (imported by signals.relays)."""

from __future__ import annotations

from datetime import datetime

from outbox.relay import register


def neardup_relay(now: datetime) -> int:
    """Group the reports beyond the "neardup" cursor: their task may have been lost."""
    from signals.neardup.services import cursor_group

    return cursor_group(now=now)


register("signals.neardup", neardup_relay)
