"""The signals app's entries in the main navigation (accounts.navigation finds this module)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register

register(
    NavItem(
        "signals:banks", _("Hash banks"), "signals.view_hash_banks", order=250, group="automation"
    )
)

# Each part of the app registers its own entries.
from signals.classifier import navigation as _classifier  # noqa: E402,F401
from signals.governance import navigation as _governance  # noqa: E402,F401
from signals.neardup import navigation as _neardup  # noqa: E402,F401
