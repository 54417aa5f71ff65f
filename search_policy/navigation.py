"""The search policy's entry in the main navigation (accounts.navigation finds this module)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(
    NavItem("search_policy:home", _("Search policy"), "search_policy.view_search_policy", order=290)
)
