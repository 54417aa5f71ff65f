"""The trail's entry in the main navigation (accounts.navigation finds this module)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(NavItem("audit:events", _("Audit trail"), "audit.view_audit_trail", order=800))
