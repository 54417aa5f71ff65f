"""
What other apps raise for the auditor, shown on the integrity page and the dashboard.

The audit app imports no domain app. An app with something to raise declares it in its own
`alarms` module, found the way admin modules are (autodiscovery), with `register`. A panel
is a template and its context; each provider reads in a constant number of queries, since
the pages that show the panels pin their query counts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.module_loading import autodiscover_modules
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


@dataclass(frozen=True)
class AlarmPanel:
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    alarming: bool = False  # something the auditor should look at now


@dataclass(frozen=True)
class ShownPanel:
    html: SafeString
    alarming: bool


type AlarmProvider = Callable[[], AlarmPanel | None]

_providers: list[AlarmProvider] = []
_discovered = threading.Event()


def register(provider: AlarmProvider) -> AlarmProvider:
    """Add a panel to the auditor's pages (used as a decorator in an app's alarms.py)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def can_see_alarms(user: User | AnonymousUser) -> bool:
    """
    The auditor's oversight of other staff. Administrators, who also read the trail, do not
    get the panels: watching the people who unmask is the auditor's job, not theirs.
    """
    return bool(user.is_active and user.has_perm("audit.verify_audit_trail"))


def panels_for(request: HttpRequest) -> list[ShownPanel]:
    """The panels shown to the request's user, rendered: none unless they are the auditor."""
    if not can_see_alarms(request.user):
        return []
    if not _discovered.is_set():
        autodiscover_modules("alarms")
        _discovered.set()
    panels = [panel for provider in _providers if (panel := provider()) is not None]
    return [
        ShownPanel(
            html=render_to_string(panel.template, dict(panel.context), request=request),
            alarming=panel.alarming,
        )
        for panel in panels
    ]
