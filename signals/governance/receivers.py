"""Receivers of signals.governance on moderation's events (connected by signals.receivers)."""

from __future__ import annotations

from typing import Any

from moderation import detectors, events
from outbox.publish import publish
from signals.governance import tasks
from signals.governance.modes import modes_resolve


def on_signals_added(*, case_ids: list[int], **_: Any) -> None:
    """New signals may cross a category's threshold: weigh automatic actions in the background."""
    if case_ids:
        publish(tasks.auto_actions_consider, case_ids=list(case_ids))


def connect() -> None:
    """Govern moderation's detectors' modes, and act on new signals."""
    detectors.register_mode_resolver(modes_resolve)
    events.signals_added.connect(on_signals_added, dispatch_uid="signals.governance.auto_actions")
