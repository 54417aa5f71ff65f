"""Who may see and govern automation: yes/no predicates over the user's role permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def _has(user: User | AnonymousUser, perm: str) -> bool:
    return bool(user.is_active and user.has_perm(perm))


def can_view_detectors(user: User | AnonymousUser) -> bool:
    return _has(user, "signals.view_detectors")


def can_manage_detectors(user: User | AnonymousUser) -> bool:
    """Change a detector's mode and the automatic-action rules (with a fresh step-up)."""
    return _has(user, "signals.manage_detectors")


def can_review_automated_actions(user: User | AnonymousUser) -> bool:
    return _has(user, "signals.review_automated_actions")
