"""The role-aware navigation shown in base.html."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    permission: str | None = None  # None: every signed-in user
    staff_only: bool = False

    def allowed(self, user: Any) -> bool:
        if self.staff_only and not user.is_staff:
            return False
        return self.permission is None or user.has_perm(self.permission)


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("dashboard", _("Dashboard")),
    NavItem("moderation:home", _("Moderation"), "moderation.triage_cases"),
    NavItem("moderation:appeals", _("Appeals"), "moderation.decide_appeals"),
    NavItem("disclosures:home", _("Legal requests"), "disclosures.view_requests"),
    NavItem("disclosures:approvals", _("Approvals"), "disclosures.approve_requests"),
    NavItem(
        "moderation:legal_escalations", _("Escalated cases"), "moderation.view_legal_escalations"
    ),
    NavItem("disclosures:subscribers", _("Subscriber data"), "disclosures.unmask_pii"),
    NavItem("disclosures:transparency", _("Transparency"), "disclosures.view_transparency_report"),
    NavItem("audit:events", _("Audit trail"), "audit.view_audit_trail"),
    NavItem("admin:index", _("Administration"), staff_only=True),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    items = [
        {"url": reverse(item.url_name), "label": item.label, "name": item.url_name, "active": False}
        for item in NAVIGATION
        if item.allowed(user)
    ]
    # The longest matching prefix wins, so /moderation/appeals/ lights "Appeals" only.
    matches = [
        i
        for i in items
        if current == i["url"] or (i["url"] != "/" and current.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items}
