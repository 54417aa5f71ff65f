"""Work of signals.governance the relay hands out again (imported by signals.relays)."""

from __future__ import annotations

from datetime import datetime

from outbox.relay import register


def automation_relay(now: datetime) -> int:
    """Cases whose signals' task was lost with the broker: weighed by the sweep."""
    from signals.governance.engine import automation_sweep

    return automation_sweep(now=now)


register("signals.automation", automation_relay)
