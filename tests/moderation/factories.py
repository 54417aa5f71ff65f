"""Builders for moderation tests: reports go in through the real intake service."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from moderation.models import Appeal, Case, Decision
from moderation.services.appeals import AppealInput, appeal_submit
from moderation.services.decisions import DecisionInput
from moderation.services.intake import ReportInput, SignalInput, SubjectInput, reports_ingest

_seq = itertools.count(1)


def report_input(**overrides: Any) -> ReportInput:
    """A valid report; override any field, or subject fields with subject__<name>."""
    n = next(_seq)
    subject_fields: dict[str, Any] = {
        "type": "message",
        "platform_id": f"msg-{n}",
        "author_id": f"acct-{n}",
        "author_username": f"author{n}",
        "chat_id": f"chat-{n}",
        "chat_kind": "group",
        "text": f"Reported message number {n}",
        "posted_at": timezone.now() - timedelta(hours=2),
    }
    for key in list(overrides):
        if key.startswith("subject__"):
            subject_fields[key.removeprefix("subject__")] = overrides.pop(key)
    fields: dict[str, Any] = {
        "external_id": f"rep-{n}",
        "category": "spam",
        "source": "user",
        "reporter_id": f"reporter-{n}",
        "description": "This looks wrong.",
        "reported_at": timezone.now() - timedelta(minutes=5),
        "language": "en",
        "subject": SubjectInput(**subject_fields),
    }
    fields.update(overrides)
    if "signals" in fields:
        fields["signals"] = tuple(
            s if isinstance(s, SignalInput) else SignalInput(**s) for s in fields["signals"]
        )
    return ReportInput(**fields)


def make_case(*, rescore_due: bool = True, **overrides: Any) -> Case:
    """
    One report, hence one new case; returns the case.

    With `rescore_due` the case is due for the periodic re-scoring, as the migration leaves
    every active case: tests move report times behind the services' back, and the stored
    next change of the score would not follow them.
    """
    item = report_input(**overrides)
    result = reports_ingest(items=[item])
    case_id = result.case_ids[item.external_id]
    if rescore_due:
        Case.objects.filter(pk=case_id).update(score_changes_at=timezone.now())
    return Case.objects.get(pk=case_id)


def violation(**overrides: Any) -> DecisionInput:
    fields: dict[str, Any] = {
        "actions": ("remove_content",),
        "ground": "terms",
        "terms_clause": "Terms of Service §7.2 (spam)",
        "facts": "The message is unsolicited bulk advertising.",
        "dsa_category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    }
    fields.update(overrides)
    return DecisionInput(**fields)


def no_violation() -> DecisionInput:
    return DecisionInput(actions=("no_violation",), facts="Reviewed: within the rules.")


EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


_appeals = itertools.count(1)


def submit_appeal(decision: Decision, *, appellant_id: str | None = None) -> Appeal:
    appeal, created = appeal_submit(
        item=AppealInput(
            external_id=f"appeal-{next(_appeals)}",
            decision_puid=f"tsd-{decision.uuid}",
            appellant_id=appellant_id or decision.case.subject.author.platform_id,
            reason="My message was a joke between friends, not advertising.",
            submitted_at=timezone.now(),
        )
    )
    assert created
    return appeal
