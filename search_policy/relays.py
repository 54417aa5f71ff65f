"""
The search policy's work the relay hands out again: reports not yet checked against the
blocked terms (their `tag_reports` task lost with the broker). `outbox.tasks.relay` runs it
from beat and when a worker starts.
"""

from __future__ import annotations

from datetime import datetime

from outbox.relay import register
from search_policy.tagging import cursor_tag


def tagging_relay(now: datetime) -> int:
    return cursor_tag(now=now)


register("search_policy.tagging", tagging_relay)
