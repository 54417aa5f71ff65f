"""
Times in the user's own zone: each signed-in user picks one (User.time_zone) and every page
shows times in it. Stored times stay in UTC; anonymous pages and documents sent outside
(letters to authorities, exports) keep UTC.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone the system knows, UTC first, then by name (no legacy aliases)."""
    names = {
        n
        for n in zoneinfo.available_timezones()
        if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    return ("UTC", *sorted(names))


def zone_for(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone for a stored name, or None for the site default (blank or no longer known)."""
    if not name or name not in zone_names():
        return None
    return zoneinfo.ZoneInfo(name)


class UserTimezoneMiddleware:
    """Activates the signed-in user's zone for the request; everyone else sees the site's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = zone_for(getattr(user, "time_zone", "")) if user is not None else None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def current_zone_name() -> str:
    return timezone.get_current_timezone_name() or settings.TIME_ZONE
