"""
The signed-in user of a request, typed as the project's User.

django-stubs types `request.user` as `User | AnonymousUser`. LoginRequiredMiddleware lets only
signed-in users reach the views that act on someone's behalf, so there the anonymous half never
happens; this helper says so in one place instead of a cast at every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The request's user; an anonymous one (which the middleware keeps out) gets a 403."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user
