"""Entries of signals.neardup in the main navigation (imported by signals.navigation)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(
    NavItem(
        "signals:groups",
        _("Near-duplicates"),
        "moderation.triage_cases",
        order=255,
        group="automation",
    )
)
