"""
The priority of a private group's case with the message cases rolled up into it folded in
(moderation.services.rollup): part of `cases_refresh`, kept apart for its size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from moderation.models import Case, Category, Report
from moderation.models.cases import SOURCE_FLAGS
from moderation.services.priority import (
    PriorityInputs,
    compute_priority,
    deadline_points_change_at,
)

_FOLDED = (
    "pk",
    "rollup_parent_id",
    "category_id",
    "deadline_at",
    "language",
    "priority",
    "score_changes_at",
    *SOURCE_FLAGS,
    "report_count",
    "reporter_count",
    "max_signal_score",
)


def rolled_up_children(ids: list[int], *, refreshed: dict[int, Case]) -> dict[int, list[Case]]:
    """
    The active message cases rolled up into each of these cases (one query), as Case rows
    with the folded fields only; a child refreshed in this same call is the fresh object.
    """
    folded: dict[int, list[Case]] = defaultdict(list)
    for child in (
        Case.objects.filter(rollup_parent_id__in=ids, status__in=Case.ACTIVE)
        .only(*_FOLDED)
        .order_by("pk")
    ):
        folded[child.rollup_parent_id or 0].append(refreshed.get(child.pk, child))
    return dict(folded)


def group_case_score(
    case: Case,
    *,
    found: list[tuple[int, datetime]],
    categories: dict[int, Category],
    sources: set[str],
    counts: Mapping[str, Any] | None,
    track: list[int],
    max_signal: int,
    children: list[Case],
    now: datetime,
) -> None:
    """
    Score a group case with the message cases rolled up into it folded in.

    Its category is the most severe of its own reports' and its children's (ties: the earlier
    deadline, as for a case's reports), its deadline the earliest, its sources and signals
    theirs together, its report and reporter counts the sums (a reporter of two messages
    counts twice: an upper bound, capped in the points anyway). Its score is computed from
    those, then lifted to the highest child's priority, so the group case is never behind a
    message it holds; `rolled_up_cases` says how many it holds.
    """
    own = [
        (categories[c], first + timedelta(hours=categories[c].deadline_hours)) for c, first in found
    ]
    rolled = [(categories[c.category_id], c.deadline_at) for c in children]
    case.category = max(own + rolled, key=lambda cd: (cd[0].severity, -cd[1].timestamp()))[0]
    case.deadline_at = min(deadline for _, deadline in own + rolled)
    if not case.language:
        languages = [c.language for c in children if c.language]
        case.language = max(set(languages), key=languages.count) if languages else ""
    case.has_user_notice = Report.Source.USER in sources or any(c.has_user_notice for c in children)
    case.has_trusted_flagger = Report.Source.TRUSTED_FLAGGER in sources or any(
        c.has_trusted_flagger for c in children
    )
    case.has_authority = Report.Source.AUTHORITY in sources or any(
        c.has_authority for c in children
    )
    case.has_automated = Report.Source.AUTOMATED in sources or any(
        c.has_automated for c in children
    )
    case.report_count = (counts["n"] if counts else 0) + sum(c.report_count for c in children)
    case.reporter_count = (counts["reporters"] if counts else 0) + sum(
        c.reporter_count for c in children
    )
    case.max_signal_score = max([max_signal, *(c.max_signal_score for c in children)])
    resolved, actioned = track
    inputs = PriorityInputs(
        severity=case.category.severity,
        reporter_count=case.reporter_count,
        has_trusted_flagger=case.has_trusted_flagger,
        has_authority=case.has_authority,
        reports_resolved=resolved,
        reports_actioned=actioned,
        max_signal_score=case.max_signal_score,
        opened_at=case.created_at,
        deadline_at=case.deadline_at,
    )
    score, components = compute_priority(inputs, now=now)
    components["rolled_up"] = max(0, max(c.priority for c in children) - score)
    case.priority = score + components["rolled_up"]
    # Re-scored when its own deadline points move or any child's do, so the lift follows them.
    changes = [
        deadline_points_change_at(opened_at=case.created_at, deadline_at=case.deadline_at, now=now),
        *(c.score_changes_at for c in children),
    ]
    due = [at for at in changes if at is not None]
    case.score_changes_at = min(due) if due and case.status in Case.ACTIVE else None
    case.updated_at = now
    case.priority_explanation = {
        "components": components,
        "computed_at": now.isoformat(),
        "rolled_up_cases": len(children),
    }
