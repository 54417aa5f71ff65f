from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def can_view_audit_trail(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm("audit.view_audit_trail"))
