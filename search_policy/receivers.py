"""
Moderation's events. Decisions are handled inside the deciding transaction (a delisting that
cannot be written fails the decision); new reports are tagged in the background.
"""

from __future__ import annotations

from typing import Any

from moderation import events
from outbox.publish import publish
from search_policy import services, tasks


def on_decision_taken(*, decision: Any, **_: Any) -> None:
    services.delisting_for_decision(decision=decision)
    services.delisting_after_supersede(decision=decision)


def on_decision_withdrawn(*, decision: Any, status: str, **_: Any) -> None:
    services.delisting_withdraw(decision=decision, status=status)


def on_reports_received(*, report_ids: list[int], **_: Any) -> None:
    if report_ids:
        publish(tasks.tag_reports, report_ids=list(report_ids))


def connect() -> None:
    events.decision_taken.connect(on_decision_taken, dispatch_uid="search_policy.delist")
    events.decision_withdrawn.connect(on_decision_withdrawn, dispatch_uid="search_policy.relist")
    events.reports_received.connect(on_reports_received, dispatch_uid="search_policy.tag")
