"""Entries of signals.classifier in the main navigation (imported by signals.navigation)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(
    NavItem("signals:models", _("Models"), "signals.view_detectors", order=265, group="automation")
)
