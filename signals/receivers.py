"""
Moderation's events, handed to the workers: intake commits first and answers at once, and
hash matching runs in the background. A publish lost to a broker outage is made good by the
relay (`signals.relays`), which matches every report beyond its cursor.
"""

from __future__ import annotations

from typing import Any

from moderation import events
from outbox.publish import publish
from signals import tasks


def on_reports_received(*, report_ids: list[int], **_: Any) -> None:
    if report_ids:
        publish(tasks.match_reports, report_ids=list(report_ids))


def on_media_received(*, media_id: int, **_: Any) -> None:
    publish(tasks.match_media, media_id=media_id)


def connect() -> None:
    from signals.classifier import receivers as classifier
    from signals.governance import receivers as governance
    from signals.neardup import receivers as neardup

    events.reports_received.connect(on_reports_received, dispatch_uid="signals.match_reports")
    events.media_received.connect(on_media_received, dispatch_uid="signals.match_media")
    classifier.connect()
    governance.connect()
    neardup.connect()
