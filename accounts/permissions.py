"""Yes/no predicates about what a user may do, and the helper that turns a no into a 403."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from accounts.models import User


def require(allowed: bool) -> None:
    """Raise PermissionDenied (a 403 page) unless allowed."""
    if not allowed:
        raise PermissionDenied


def can_enter_admin(user: User) -> bool:
    return bool(user.is_active and user.is_staff)
