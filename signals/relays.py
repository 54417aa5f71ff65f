"""The signals app's work the relay hands out again: reports not yet matched against the banks."""

from __future__ import annotations

from datetime import datetime

from outbox.relay import register
from signals.matcher_service import cursor_match


def matching_relay(now: datetime) -> int:
    return cursor_match(now=now)


register("signals.matching", matching_relay)

from signals.classifier import relays as _classifier  # noqa: E402,F401
from signals.governance import relays as _governance  # noqa: E402,F401
from signals.neardup import relays as _neardup  # noqa: E402,F401
