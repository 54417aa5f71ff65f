"""
Fresh re-authentication for the most sensitive steps (approving, releasing): the user types
their password again; the moment is kept in the session and checked by the services.
A later issue adds a second factor to the same step-up.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

SESSION_KEY = "reauthenticated_at"


def mark_reauthenticated(request: Any) -> None:
    request.session[SESSION_KEY] = int(time.time())


def reauthenticated_at(request: Any) -> int | None:
    value = request.session.get(SESSION_KEY)
    return int(value) if value else None


def is_fresh(at: int | None, *, now: float | None = None) -> bool:
    if not at:
        return False
    return (now or time.time()) - at <= settings.REAUTH_MAX_AGE_SECONDS
