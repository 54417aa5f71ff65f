"""
Work of signals.classifier the relay hands out again (imported by signals.relays): reports
beyond the "classifier" cursor, whose scoring task may have been lost with the broker.
"""

from __future__ import annotations

from datetime import datetime

from outbox.relay import register
from signals.classifier.scoring import cursor_score


def scoring_relay(now: datetime) -> int:
    return cursor_score(now=now)


register("signals.classifier", scoring_relay)
