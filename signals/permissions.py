"""Who may do what with hash banks: yes/no predicates over the user's role permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def _has(user: User | AnonymousUser, perm: str) -> bool:
    return bool(user.is_active and user.has_perm(perm))


def can_view_hash_banks(user: User | AnonymousUser) -> bool:
    return _has(user, "signals.view_hash_banks")


def can_manage_hash_banks(user: User | AnonymousUser) -> bool:
    """Create and configure banks, import hashes, disable them, bank a decision's media."""
    return _has(user, "signals.manage_hash_banks")
