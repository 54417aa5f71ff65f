"""Forms of the admin's role screens: the user's groups, and a request for a privileged role."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

import audit
from accounts.models import User
from accounts.roles import PRIVILEGED_ROLES, SUPERUSER
from accounts.services_grants import REASON_MAX_LENGTH


def privileged_groups_added(*, user: User, groups: Iterable[Group]) -> list[str]:
    """Names of the privileged roles in `groups` that the account does not hold yet."""
    held = set(user.groups.values_list("name", flat=True)) if user.pk else set()
    privileged = {role.value for role in PRIVILEGED_ROLES}
    return sorted(({group.name for group in groups} - held) & privileged)


class PrivilegedGroupsGuard(forms.ModelForm):
    """
    A user form whose `groups` may add only unprivileged roles (and remove any). A
    privileged role is a grant request that a second administrator approves; the refused
    attempt is recorded as `authz.denied`.
    """

    def clean_groups(self) -> Any:
        groups = self.cleaned_data.get("groups") or []
        added = privileged_groups_added(user=self.instance, groups=groups)
        if added:
            audit.record(
                action="authz.denied",
                target_type="accounts.user",
                target_id=self.instance.pk or "",
                data={"operation": "user_change", "rule": "privileged_role", "roles": added},
            )
            raise ValidationError(
                ngettext(
                    "%(roles)s is a privileged role: it cannot be given here. Request it under "
                    "“Role grant requests”; it takes effect when another administrator "
                    "approves.",
                    "%(roles)s are privileged roles: they cannot be given here. Request each "
                    "under “Role grant requests”; each takes effect when another "
                    "administrator approves.",
                    len(added),
                )
                % {"roles": ", ".join(added)},
                code="privileged_role",
            )
        return groups


class GuardedUserChangeForm(PrivilegedGroupsGuard, UserChangeForm):
    """The admin's user change form, with privileged roles kept out of `groups`."""


def _grant_choices() -> list[tuple[str, Any]]:
    roles = sorted(role.value for role in PRIVILEGED_ROLES)
    return [(role, role) for role in roles] + [
        (SUPERUSER, _("Superuser (every permission, including the Django admin)"))
    ]


class RoleGrantRequestForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Account"),
        queryset=User.objects.none(),
        help_text=_("You cannot request a privileged role for your own account."),
    )
    role = forms.ChoiceField(label=_("Privileged role"), choices=_grant_choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Why this account needs the role; the approving administrator reads it."),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True).exclude(pk=actor.pk).order_by("username")
        )
