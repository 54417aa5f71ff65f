"""The case-page panel of signals.neardup (registered in signals.apps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moderation import permissions
from signals.neardup import selectors

if TYPE_CHECKING:
    from django.http import HttpRequest

    from moderation.selectors.cases import CaseContext


def case_panel(request: HttpRequest, ctx: CaseContext) -> dict[str, Any] | None:
    """
    The case's near-duplicate groups, for those who work the queue (legal staff who may open
    an escalated case are not shown the other cases), or None when the case is in no group.
    """
    if not permissions.can_triage(request.user):
        return None
    groups = selectors.case_groups(case_id=ctx.case.pk)
    if not groups:
        return None
    return {"groups": groups, "can_bulk_decide": permissions.can_bulk_decide(request.user)}
