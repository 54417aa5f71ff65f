"""
Panels other apps add to the case page, without moderation importing them (the dependency
rule): an app registers a template and a function that gives its context, or None to show
nothing. The signals app offers "bank it" this way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from moderation.selectors.cases import CaseContext

PanelContext = Callable[["HttpRequest", "CaseContext"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Panel:
    template: str
    context: PanelContext


_PANELS: list[Panel] = []


def register(template: str, context: PanelContext) -> None:
    if any(p.template == template for p in _PANELS):
        return  # registered once per process, even if an app's ready() runs twice
    _PANELS.append(Panel(template, context))


def panels_for(request: HttpRequest, ctx: CaseContext) -> list[tuple[str, dict[str, Any]]]:
    """The (template, context) of each panel that has something to show on this case."""
    shown = []
    for panel in _PANELS:
        context = panel.context(request, ctx)
        if context is not None:
            shown.append((panel.template, context))
    return shown
