"""Who may see the classifier's models and retrain them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def can_view_models(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm("signals.view_detectors"))


def can_train_models(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm("signals.train_models"))
