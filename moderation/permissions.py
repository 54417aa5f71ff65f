from __future__ import annotations

from typing import Any


def can_triage(user: Any) -> bool:
    return bool(user.is_active and user.has_perm("moderation.triage_cases"))
