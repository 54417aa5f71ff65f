"""The legal team's entries in the main navigation (accounts.navigation finds this module)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(
    NavItem("disclosures:home", _("Legal requests"), "disclosures.view_requests", order=300),
    NavItem("disclosures:approvals", _("Approvals"), "disclosures.approve_requests", order=400),
    NavItem("disclosures:subscribers", _("Subscriber data"), "disclosures.unmask_pii", order=600),
    NavItem(
        "disclosures:transparency",
        _("Transparency"),
        "disclosures.view_transparency_report",
        order=700,
    ),
)
