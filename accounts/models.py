from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models, router, transaction
from django.utils.translation import gettext_lazy as _

from accounts.grants import AuthFailureWindow, EnrolmentLink, RoleGrant
from accounts.tokens import ApiToken

__all__ = ["ApiToken", "AuthFailureWindow", "EnrolmentLink", "RoleGrant", "User"]


class User(AbstractUser):
    """
    A member of staff: moderator, legal, auditor or administrator.

    Roles are Django groups (see accounts.roles); a user may hold several. Users are
    deactivated rather than deleted, because audit events point at them.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [("manage_roles", _("Can grant and revoke roles"))]

    # Pages show times in this zone (accounts.timezones); empty means the site's (UTC).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")

    def is_verified(self) -> bool:
        """
        Whether this session has passed its second step. django-otp's middleware replaces this
        method on the request's user with the real answer; any other instance (a task's, a
        shell's) has passed no second step.
        """
        return False

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The account-change events (accounts.signals: user.created, user.password_set, ...)
        # are written by the save signals. One transaction around the save makes the change
        # and its event commit together, whichever path saved it (admin, shell, services).
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)

    @property
    def role_names(self) -> list[str]:
        """Names of the user's roles, sorted (one query unless groups were prefetched)."""
        return sorted(group.name for group in self.groups.all())

    def display(self) -> str:
        return self.get_full_name() or self.username
