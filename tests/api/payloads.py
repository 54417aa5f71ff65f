"""JSON bodies as the platform sends them."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

_seq = itertools.count(1)


def report_json(**overrides: Any) -> dict[str, Any]:
    """A valid report body; subject fields are overridden with subject__<name>."""
    n = next(_seq)
    subject: dict[str, Any] = {
        "type": "message",
        "platform_id": f"api-msg-{n}",
        "author_id": f"api-acct-{n}",
        "author_username": f"apiauthor{n}",
        "chat_id": f"api-chat-{n}",
        "chat_kind": "group",
        "text": f"Buy cheap followers now, message number {n}",
        "posted_at": (timezone.now() - timedelta(hours=2)).isoformat(),
    }
    for key in list(overrides):
        if key.startswith("subject__"):
            subject[key.removeprefix("subject__")] = overrides.pop(key)
    body: dict[str, Any] = {
        "external_id": f"api-rep-{n}",
        "category": "spam",
        "source": "user",
        "reporter_id": f"api-reporter-{n}",
        "description": "Unsolicited advertising.",
        "reported_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "language": "en",
        "subject": subject,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}
