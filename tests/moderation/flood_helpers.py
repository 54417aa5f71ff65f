"""Builders for the report-flood and muted-reporter tests (subjects cleared, reporters muted)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from moderation.models import Case, Decision, Report, Reporter
from moderation.services import claims, decisions
from moderation.services.intake import IngestResult, ReportInput, reports_ingest
from tests.moderation.factories import no_violation, report_input


def about(platform_id: str, **overrides: Any) -> ReportInput:
    """A report about one fixed subject (a message by one fixed author)."""
    overrides.setdefault("subject__author_id", f"author-of-{platform_id}")
    return report_input(subject__platform_id=platform_id, **overrides)


def cleared_subject(moderator, platform_id: str = "flooded-1", *, days_ago: int = 0) -> Case:  # type: ignore[no-untyped-def]
    """A subject reported once (spam), then decided "no violation" `days_ago` days ago."""
    result = reports_ingest(items=[about(platform_id, reporter_id="first-reporter")])
    case_id = next(iter(result.case_ids.values()))
    assert case_id is not None
    claims.case_claim(case_id=case_id, actor=moderator)
    decision = decisions.case_decide(case_id=case_id, actor=moderator, decision=no_violation())
    if days_ago:
        Decision.objects.filter(pk=decision.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return Case.objects.get(pk=case_id)


def send(platform_id: str, n: int = 1, *, prefix: str = "flood", **overrides: Any) -> IngestResult:
    """`n` reports about the subject from `n` new reporters (unless reporter_id is given)."""
    items = []
    for i in range(n):
        fields = dict(overrides)
        fields.setdefault("reporter_id", f"{prefix}-reporter-{platform_id}-{i}")
        items.append(about(platform_id, **fields))
    return reports_ingest(items=items)


def muted_reporter(platform_id: str, actor) -> Reporter:  # type: ignore[no-untyped-def]
    """A reporter, known from one earlier report, whom a senior muted."""
    from moderation.services.reporters import reporter_mute

    reports_ingest(items=[report_input(reporter_id=platform_id)])
    reporter = Reporter.objects.get(platform_id=platform_id)
    return reporter_mute(reporter_id=reporter.pk, actor=actor, reason="Files in bad faith.")


def active_case_of(platform_id: str) -> Case | None:
    return Case.objects.filter(subject__platform_id=platform_id, status__in=Case.ACTIVE).first()


def held_on(case: Case) -> list[str]:
    return list(Report.objects.filter(case=case).order_by("id").values_list("held", flat=True))
