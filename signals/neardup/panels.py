"""The case-page panel of signals.neardup (registered in signals.apps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from moderation.selectors.cases import CaseContext


def case_panel(request: HttpRequest, ctx: CaseContext) -> dict[str, Any] | None:
    """The panel's context, or None to show nothing on this case."""
    return None
