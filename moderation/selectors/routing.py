"""
A moderator's routing profile (languages and categories), read once per user instance.

Claim-next and the queue read it on every request, and a bulk of moderators claim case after
case; so, as Django keeps a user's permissions on the instance, the profile is kept on the
user instance (a request's user) instead of being queried again. Any change of a profile or of
its categories in this process (through the ORM: save, delete, the m2m manager) bumps a
generation, so a kept profile is never older than a change made here; another process's change
is seen by the next instance (the next request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from moderation.models import ModeratorProfile

if TYPE_CHECKING:
    from accounts.models import User

_ROUTING_ATTR = "_moderation_routing_cache"
_generation = 0

Routing = tuple[tuple[str, ...], tuple[int, ...]]


def _bump() -> None:
    global _generation
    _generation += 1


def _profiles_changed(**kwargs: Any) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        # Again at commit: another thread may read the old rows, and keep them, in between.
        _bump()
        transaction.on_commit(_bump, using=kwargs.get("using"))


def _connect_profile_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from moderation.models import Category

    through = ModeratorProfile.categories.through
    m2m_changed.connect(_profiles_changed, sender=through, dispatch_uid="routing_m2m")
    post_save.connect(_profiles_changed, sender=ModeratorProfile, dispatch_uid="routing_save")
    # Django sends no signal for the rows of an m2m table a deletion cascades to: a deleted
    # profile or category stands for them.
    for sender in (ModeratorProfile, Category):
        post_delete.connect(_profiles_changed, sender=sender, dispatch_uid="routing_delete")


_connect_profile_signals()


def moderator_routing(user: User) -> Routing | None:
    """
    The user's languages and category ids (in the categories' order), or None without a
    profile; one query per user instance while profiles are unchanged.
    """
    cached = getattr(user, _ROUTING_ATTR, None)
    if cached is not None and cached[0] == _generation and cached[1] == user.pk:
        return cached[2]
    generation = _generation
    rows = list(
        ModeratorProfile.objects.filter(user=user)
        .order_by("categories__sort_order", "categories__name", "categories__id")
        .values_list("languages", "categories")
    )
    routing: Routing | None = None
    if rows:
        routing = (
            tuple(rows[0][0]),
            tuple(category for _languages, category in rows if category is not None),
        )
    setattr(user, _ROUTING_ATTR, (generation, user.pk, routing))
    return routing
