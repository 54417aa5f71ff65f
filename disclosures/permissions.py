from __future__ import annotations

from typing import Any


def can_view_requests(user: Any) -> bool:
    return bool(user.is_active and user.has_perm("disclosures.view_requests"))
