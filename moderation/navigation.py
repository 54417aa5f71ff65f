"""Moderation's entries in the main navigation (accounts.navigation finds this module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavItem, register
from moderation import permissions

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class EitherRoleNavItem(NavItem):
    """An entry for a page that a predicate opens to more than one permission."""

    def allowed(self, user: User) -> bool:
        return permissions.can_view_team_metrics(user)


register(
    NavItem("moderation:home", _("Moderation"), "moderation.triage_cases", order=100),
    NavItem("moderation:appeals", _("Appeals"), "moderation.decide_appeals", order=200),
    NavItem(
        "moderation:exposure",
        _("Exposure"),
        "moderation.view_moderation_stats",
        order=260,
        group="team",
    ),
    NavItem(
        "moderation:legal_escalations",
        _("Escalated cases"),
        "moderation.view_legal_escalations",
        order=500,
    ),
)
register(
    NavItem(
        "moderation:reporters_muted",
        _("Reporters"),
        "moderation.mute_reporters",
        order=270,
        group="team",
    ),
)
register(
    NavItem(
        "moderation:reply_templates",
        _("Reply templates"),
        "moderation.manage_reply_templates",
        order=275,
        group="team",
    ),
)
register(
    NavItem(
        "moderation:transparency",
        _("Transparency (moderation)"),
        "moderation.publish_transparency_report",
        order=280,
        group="team",
    ),
)
# Seniors and administrators: two permissions, hence the predicate rather than one name.
register(EitherRoleNavItem("moderation:metrics", _("Team metrics"), order=285, group="team"))
