"""Entries of signals.governance in the main navigation (imported by signals.navigation)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(
    NavItem(
        "signals:detectors", _("Detectors"), "signals.view_detectors", order=260, group="automation"
    )
)
register(
    NavItem(
        "signals:reviews",
        _("Automation review"),
        "signals.review_automated_actions",
        order=262,
        group="automation",
    )
)
