"""
The registry of the main navigation, shown in base.html and as tiles on the dashboard.

Accounts imports no domain app: each app declares its own entries in its `navigation` module
(found by autodiscovery when accounts is ready) with `register`. An entry names the permission
that opens its page, so a user sees exactly the sections they may open; `order` places it
among every app's entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    permission: str | None = None  # None: every signed-in user
    order: int = 0
    staff_only: bool = False
    # Entries sharing a group are shown as one menu in the top bar (GROUPS) when a user sees
    # more than one of them; a lone entry stays a plain link.
    group: str = ""

    def allowed(self, user: User) -> bool:
        if self.staff_only and not user.is_staff:
            return False
        return self.permission is None or user.has_perm(self.permission)


DASHBOARD = "dashboard"

_items: dict[str, NavItem] = {}


def register(*items: NavItem) -> None:
    """Add entries to the navigation (called from an app's navigation module)."""
    for item in items:
        _items[item.url_name] = item


# The menus of the top bar, by key: the label a group of entries is shown under.
GROUPS: dict[str, Any] = {
    "automation": _("Automation"),
    "team": _("Team"),
}


def entries() -> list[NavItem]:
    """Every registered entry, in navigation order."""
    return sorted(_items.values(), key=lambda item: (item.order, item.url_name))


register(
    NavItem(DASHBOARD, _("Dashboard"), order=0),
    NavItem("admin:index", _("Administration"), order=1000, staff_only=True),
)
