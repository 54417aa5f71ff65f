"""Yes/no predicates about what a user may do, and the helper that turns a no into a 403."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def require(allowed: bool) -> None:
    """Raise PermissionDenied (a 403 page) unless allowed."""
    if not allowed:
        raise PermissionDenied


def can_enter_admin(user: User) -> bool:
    return bool(user.is_active and user.is_staff)


def can_manage_roles(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm("accounts.manage_roles"))


def cooling_off_refusal(user: User) -> str | None:
    """
    Why the user may not approve or release yet (their privileged role was granted less
    than PRIVILEGED_COOLING_OFF_HOURS ago), or None when they may.
    """
    from accounts.selectors import cooling_off_until

    until = cooling_off_until(user)
    if until is None:
        return None
    return _(
        "Cooling-off until %(until)s: you cannot approve or release yet. A role given "
        "through a grant waits this long before it can be used for a disclosure."
    ) % {"until": date_format(localtime(until), "SHORT_DATETIME_FORMAT")}
