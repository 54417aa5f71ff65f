"""The case-page panel of signals.governance (registered in signals.apps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moderation.models import Decision
from signals.governance import permissions
from signals.governance.selectors import automated_action_for_case, signal_detector_keys

if TYPE_CHECKING:
    from django.http import HttpRequest

    from moderation.selectors.cases import CaseContext


def case_panel(request: HttpRequest, ctx: CaseContext) -> dict[str, Any] | None:
    """
    On a case an automatic action decided: which detector, its score against the threshold,
    whether it was sampled and how the review went (with the form, for a reviewer, while it
    waits). On other cases: the modes of the detectors behind its signals, so a shadow score
    is not mistaken for one that counted. Nothing when the case has neither.
    """
    automated = any(
        d.origin == Decision.Origin.AUTOMATED and d.status == Decision.Status.IN_FORCE
        for d in ctx.decisions
    )
    action = automated_action_for_case(case=ctx.case) if automated else None
    detectors = signal_detector_keys(ctx.signals)
    if action is None and not detectors:
        return None
    return {
        "action": action,
        "detectors": detectors,
        "can_review": bool(
            action is not None
            and action.sampled
            and not action.review
            and permissions.can_review_automated_actions(request.user)
        ),
        "next": request.get_full_path(),
    }
