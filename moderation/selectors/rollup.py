"""
The roll-up panel of the case page (registered in moderation.apps): on a private group's
case, the message cases rolled up into it; on a message case, the group case it went to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Subquery

from moderation.models import Case, Report, Subject

if TYPE_CHECKING:
    from django.http import HttpRequest

    from moderation.selectors.cases import CaseContext

PANEL_LIMIT = 50
SNIPPET_CHARS = 200


def rolled_up_cases(*, group: Case, limit: int = PANEL_LIMIT) -> tuple[list[Case], int]:
    """
    The first `limit` message cases rolled up into `group`, oldest first, each with its
    newest report's text and provenance (`snippet`, `provenance`); and how many there are.
    Two queries whatever the number.
    """
    children = Case.objects.filter(rollup_parent=group)
    total = children.count()
    if not total:
        return [], 0
    newest = Report.objects.filter(case_id=OuterRef("pk")).order_by("-id")
    rows: list[Case] = list(
        children.select_related("category", "subject__author")
        .annotate(
            snippet=Subquery(newest.values("content_text")[:1]),
            provenance=Subquery(newest.values("evidence_provenance")[:1]),
        )
        .order_by("pk")[:limit]
    )
    labels = dict(Report.Provenance.choices)
    for case in rows:
        text = case.snippet or ""  # type: ignore[attr-defined]
        case.snippet = text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")  # type: ignore[attr-defined]
        case.provenance_label = labels.get(case.provenance, "")  # type: ignore[attr-defined]
    return rows, total


def rollup_panel(request: HttpRequest, ctx: CaseContext) -> dict[str, Any] | None:
    """What the roll-up panel shows on this case, or None when it has nothing to show."""
    case = ctx.case
    if case.rollup_parent_id:
        return {
            "parent_id": case.rollup_parent_id,
            "resolved_with_group": case.status == Case.Status.RESOLVED and not ctx.decisions,
        }
    if case.subject_type != Subject.Type.GROUP:
        return None
    rows, total = rolled_up_cases(group=case)
    if not total:
        return None
    return {"children": rows, "total": total, "more": total - len(rows)}
