"""Receivers of signals.neardup on moderation's events (connected by signals.receivers)."""

from __future__ import annotations

from typing import Any

from moderation import events
from outbox.publish import publish
from signals.neardup import tasks


def on_reports_received(*, report_ids: list[int], **_: Any) -> None:
    if report_ids:
        publish(tasks.group_reports, report_ids=list(report_ids))


def on_media_received(*, media_id: int, **_: Any) -> None:
    publish(tasks.group_media, media_id=media_id)


def connect() -> None:
    """Group reports in the background as they arrive, and again when their media does."""
    events.reports_received.connect(on_reports_received, dispatch_uid="signals.neardup.reports")
    events.media_received.connect(on_media_received, dispatch_uid="signals.neardup.media")
