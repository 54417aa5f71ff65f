"""Reads for bulk decisions: resolving a selection, the preview, a job's outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from moderation.exceptions import BulkSelectionRefused
from moderation.models import BulkJob, Case, Decision
from moderation.selectors.queue import QueueFilters, apply_filters


@dataclass(frozen=True)
class BulkSelection:
    """The cases a bulk job would decide, in the order it decides them (most urgent first)."""

    case_ids: list[int]
    not_open: int
    by_filter: bool

    @property
    def count(self) -> int:
        return len(self.case_ids)


def _too_many(count: int, *, by_filter: bool) -> BulkSelectionRefused:
    cap = settings.BULK_MAX_CASES
    if by_filter:
        text = ngettext(
            "%(count)d case matches this filter; a bulk job takes at most %(cap)d. "
            "Narrow the filter.",
            "%(count)d cases match this filter; a bulk job takes at most %(cap)d. "
            "Narrow the filter.",
            count,
        )
    else:
        text = ngettext(
            "%(count)d case is selected; a bulk job takes at most %(cap)d.",
            "%(count)d cases are selected; a bulk job takes at most %(cap)d.",
            count,
        )
    return BulkSelectionRefused(text % {"count": count, "cap": cap})


def bulk_selection_resolve(
    *, case_ids: list[int] | None, filters: QueueFilters | None
) -> BulkSelection:
    """
    Turn chosen ids or a queue filter into the job's case ids, or refuse.

    Nothing is cut silently: a selection over `BULK_MAX_CASES` is refused with its size.
    Chosen cases that are no longer open stay in the selection (the preview says so and
    the job skips them, visibly); a filter must be on open cases, since those are the only
    ones a bulk decision may close.
    """
    if (case_ids is None) == (filters is None):
        raise BulkSelectionRefused(_("Select cases, or all cases matching a filter."))
    cap = settings.BULK_MAX_CASES
    if filters is not None:
        if filters.status != Case.Status.OPEN:
            raise BulkSelectionRefused(
                _("Bulk decisions apply to open cases: set the status filter to “Open”.")
            )
        matching = apply_filters(Case.objects.all(), filters)
        ids = list(matching.order_by("-priority", "id").values_list("pk", flat=True)[: cap + 1])
        if len(ids) > cap:
            raise _too_many(matching.order_by().count(), by_filter=True)
        if not ids:
            raise BulkSelectionRefused(_("No open case matches this filter."))
        return BulkSelection(case_ids=ids, not_open=0, by_filter=True)

    wanted = list(dict.fromkeys(case_ids or ()))
    if not wanted:
        raise BulkSelectionRefused(_("Select at least one case."))
    if len(wanted) > cap:
        raise _too_many(len(wanted), by_filter=False)
    rows = list(
        Case.objects.filter(pk__in=wanted).order_by("-priority", "id").values_list("pk", "status")
    )
    if len(rows) != len(wanted):
        missing = len(wanted) - len(rows)
        raise BulkSelectionRefused(
            ngettext(
                "%(count)d selected case does not exist.",
                "%(count)d selected cases do not exist.",
                missing,
            )
            % {"count": missing}
        )
    not_open = sum(1 for _pk, status in rows if status != Case.Status.OPEN)
    if not_open == len(rows):
        raise BulkSelectionRefused(_("None of the selected cases is open any more."))
    return BulkSelection(case_ids=[pk for pk, _status in rows], not_open=not_open, by_filter=False)


@dataclass(frozen=True)
class BulkOutcomes:
    decided: list[tuple[int, int]]  # (case id, decision id)
    skipped: list[int]
    failed: list[dict[str, Any]]


def bulk_job_outcomes(*, job: BulkJob) -> BulkOutcomes:
    """What happened to each case of a job, in one query (skipped = neither decided nor failed)."""
    decided = list(
        Decision.objects.filter(bulk_job=job).order_by("id").values_list("case_id", "pk")
    )
    failed_ids = {entry.get("case") for entry in job.errors}
    decided_ids = {case_id for case_id, _pk in decided}
    skipped = [
        case_id
        for case_id in job.case_ids
        if case_id not in decided_ids and case_id not in failed_ids
    ]
    return BulkOutcomes(decided=decided, skipped=skipped, failed=list(job.errors))


def bulk_jobs_recent(*, limit: int = 50) -> list[BulkJob]:
    return list(BulkJob.objects.select_related("created_by").order_by("-id")[:limit])


def bulk_preview_rows(*, selection: BulkSelection, limit: int = 50) -> list[Case]:
    """The first cases of a selection, in the job's order, for the confirmation page."""
    shown = selection.case_ids[:limit]
    return list(
        Case.objects.filter(pk__in=shown).select_related("category").order_by("-priority", "id")
    )
