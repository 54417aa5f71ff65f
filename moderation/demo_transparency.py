"""Demo: the moderation transparency report, a published period and the current draft."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from moderation import transparency
from moderation.models import Report, TransparencyReport
from moderation.services.transparency import report_generate, report_publish


def seed_transparency() -> str:
    """
    Publish the last finished half-year if the demo's records reach into it; otherwise (the
    demo's records are all recent) publish a "demo" report for the current half-year so far.
    Then leave a draft of the current half-year so far. Idempotent.
    """
    if TransparencyReport.objects.exists():
        return "already seeded"
    senior = User.objects.filter(username="senior").first()
    today = timezone.now().date()
    yesterday = today - timedelta(days=1)
    current = transparency.half_year_of(today)
    previous = transparency.half_year_of(current.start - timedelta(days=1))
    if current.start > yesterday:  # first day of a half-year: nothing of it has ended yet
        current = previous
    covered = Report.objects.filter(
        received_at__gte=previous.start_at, received_at__lt=previous.end_before
    ).exists()
    if covered:
        published = report_generate(start=previous.start, end=previous.end, actor=senior)
    else:
        published = report_generate(
            start=current.start,
            end=yesterday,
            actor=senior,
            correction_note="demo: published so the public page has something to show",
        )
    if senior is not None:
        report_publish(report_id=published.pk, actor=senior)
    draft_note = "" if covered else "demo: a correction draft of the same period"
    report_generate(start=current.start, end=yesterday, actor=senior, correction_note=draft_note)
    return "published previous half-year" if covered else "published current period as demo"
