"""What seniors see about a reporter: their record, their held reports, the muted list."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Q

from moderation.models import Report, Reporter

RECENT_REPORTS = 20
MUTED_PAGE_SIZE = 50


@dataclass(frozen=True)
class ReporterRecord:
    reporter: Reporter
    # The report the page was opened from: its URL names the reporter without their id.
    via_report_id: int
    reports: int
    held: int
    held_cleared_recently: int
    held_muted: int
    without_case: int
    cases: int
    recent: list[Report]


def report_with_reporter(*, report_id: int) -> Report:
    """The report, with its reporter; Report.DoesNotExist when either is missing."""
    return Report.objects.select_related("reporter__muted_by").get(
        pk=report_id, reporter__isnull=False
    )


def reporter_record(*, report: Report) -> ReporterRecord:
    """Everything the reporter page shows, in three queries whatever the reporter's volume."""
    reporter = report.reporter
    assert reporter is not None  # report_with_reporter only finds reports that have one
    counts = Report.objects.filter(reporter=reporter).aggregate(
        reports=Count("id"),
        held_total=Count("id", filter=~Q(held=Report.Held.NO)),
        cleared=Count("id", filter=Q(held=Report.Held.CLEARED_RECENTLY)),
        muted=Count("id", filter=Q(held=Report.Held.MUTED_REPORTER)),
        without_case=Count("id", filter=Q(case__isnull=True)),
        cases=Count("case", distinct=True),
    )
    recent = list(
        Report.objects.filter(reporter=reporter)
        .select_related("category", "case", "subject")
        .order_by("-id")[:RECENT_REPORTS]
    )
    return ReporterRecord(
        reporter=reporter,
        via_report_id=report.pk,
        reports=counts["reports"],
        held=counts["held_total"],
        held_cleared_recently=counts["cleared"],
        held_muted=counts["muted"],
        without_case=counts["without_case"],
        cases=counts["cases"],
        recent=recent,
    )


def muted_reporters(*, after: int | None = None, size: int = MUTED_PAGE_SIZE) -> list[Reporter]:
    """
    One page of muted reporters, by id descending (keyset: `after` is the last id shown, so
    a later page costs what the first does). Each carries `report_total`, `held_total` and
    `latest_report_id`, the report the page links through.
    """
    rows = Reporter.objects.filter(muted_at__isnull=False)
    if after:
        rows = rows.filter(pk__lt=after)
    return list(
        rows.select_related("muted_by")
        .annotate(
            report_total=Count("reports"),
            held_total=Count("reports", filter=~Q(reports__held=Report.Held.NO)),
            latest_report_id=Max("reports__id"),
        )
        .order_by("-id")[:size]
    )
