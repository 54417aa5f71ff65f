from __future__ import annotations

from typing import Any


def can_view_audit_trail(user: Any) -> bool:
    return bool(user.is_active and user.has_perm("audit.view_audit_trail"))
