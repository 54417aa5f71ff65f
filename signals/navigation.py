"""The signals app's entries in the main navigation (accounts.navigation finds this module)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(NavItem("signals:banks", _("Hash banks"), "signals.view_hash_banks", order=250))
