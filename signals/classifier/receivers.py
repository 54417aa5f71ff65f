"""
Receivers of signals.classifier on moderation's events (connected by signals.receivers): new
reports are scored in the background; a lost publish is made good by the relay
(`signals.classifier.relays`).
"""

from __future__ import annotations

from typing import Any

from moderation import events
from outbox.publish import publish


def on_reports_received(*, report_ids: list[int], **_: Any) -> None:
    from signals.classifier import tasks

    if report_ids:
        publish(tasks.score_reports, report_ids=list(report_ids))


def connect() -> None:
    events.reports_received.connect(on_reports_received, dispatch_uid="signals.classifier.score")
