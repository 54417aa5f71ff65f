"""Reads about accounts and their role grants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from accounts.models import RoleGrant

if TYPE_CHECKING:
    from accounts.models import User


def cooling_off_until(user: User, *, now: datetime | None = None) -> datetime | None:
    """
    When the user's cooling-off ends, or None when they are not in one.

    A privileged role given through a grant takes effect at once, but for
    PRIVILEGED_COOLING_OFF_HOURS its holder approves and releases nothing: an account
    created or promoted in a hurry (by an intruder, or by mistake) cannot be used for a
    disclosure before other people have had a chance to notice it. Roles set by trusted
    code (the demo, tests, management commands) have no approved grant, so no cooling-off.
    """
    hours = settings.PRIVILEGED_COOLING_OFF_HOURS
    if hours <= 0 or getattr(user, "pk", None) is None:
        return None
    now = now or timezone.now()
    window = timedelta(hours=hours)
    latest = (
        RoleGrant.objects.filter(
            user_id=user.pk,
            status=RoleGrant.Status.APPROVED,
            decided_at__gt=now - window,
        )
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return latest + window if latest is not None else None


def role_grants_pending_count() -> int:
    """Grants waiting for a second administrator."""
    return RoleGrant.objects.filter(status=RoleGrant.Status.PENDING).count()


PENDING_FIRST = Case(
    When(status=RoleGrant.Status.PENDING, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def role_grants_for_admin() -> QuerySet[RoleGrant]:
    """Every grant with the people it names, waiting ones first, newest first within."""
    return RoleGrant.objects.select_related("user", "requested_by", "decided_by").order_by(
        PENDING_FIRST.asc(), "-requested_at", "-pk"
    )
