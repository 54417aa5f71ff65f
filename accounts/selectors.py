from __future__ import annotations

from accounts.models import User


def user_with_roles(*, user_id: int) -> User:
    return User.objects.prefetch_related("groups").get(pk=user_id)
