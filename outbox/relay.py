"""
The relay: hands to the workers again whatever was recorded but not (or no longer) worked on.

Each kind of recorded work registers one function in its app's `relays` module: deliveries
(the outbox's own), bulk jobs (moderation), verification runs (audit). A function publishes
the items due (pending past their grace period, or whose worker's heartbeat went stale) and
returns how many it handed over. `outbox.tasks.relay` runs them all, from Celery beat and once
when a worker starts, so work recorded during a broker outage or lost with a killed worker is
picked up within seconds of the broker and a worker being back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger(__name__)

Relay = Callable[[datetime], int]
_RELAYS: dict[str, Relay] = {}


def register(name: str, relay: Relay) -> Relay:
    if _RELAYS.get(name, relay) is not relay:
        raise ValueError(f"A relay named {name!r} is already registered.")
    _RELAYS[name] = relay
    return relay


def registered() -> list[str]:
    return sorted(_RELAYS)


def relay_all(*, now: datetime | None = None) -> dict[str, int]:
    """Run every registered relay; one failing (its database table locked, say) spares the rest."""
    now = now or timezone.now()
    handed: dict[str, int] = {}
    for name in registered():
        try:
            handed[name] = _RELAYS[name](now)
        except Exception:
            logger.exception("The %s relay failed; the next run tries again.", name)
            handed[name] = -1
    return handed
