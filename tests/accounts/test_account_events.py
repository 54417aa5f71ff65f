"""Every change to an account is audited, without its password or clear e-mail address."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.helpers import fresh, group_pk, user_change_data

pytestmark = pytest.mark.django_db


# --- Account change events ---------------------------------------------------------------------


def test_account_changes_are_audited_without_the_password(admin1, make_user):
    user = make_user(Role.MODERATOR, username="sam")
    start = AuditEvent.objects.latest("id").pk

    user.email = "sam@example.org"
    user.save()
    user.first_name = "Sam"
    user.save()
    user.is_active = False
    user.save()
    user.is_active = True
    user.save(update_fields=["is_active"])
    user.set_password("a-brand-new-secret-77")
    user.save()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])  # a login stamp is not an account change

    events = list(AuditEvent.objects.filter(pk__gt=start, target_id=str(user.pk)).order_by("id"))
    account = [(e.action, e.data) for e in events if e.action.startswith("user.")]
    assert account == [
        ("user.email_changed", {"old": "", "new": _digest("sam@example.org")}),
        ("user.changed", {"fields": ["first_name"]}),
        ("user.deactivated", {}),
        ("user.reactivated", {}),
        ("user.password_set", {"usable": True}),
    ]
    trail = json.dumps([e.data for e in AuditEvent.objects.all()])
    user.refresh_from_db()
    assert "a-brand-new-secret-77" not in trail
    assert user.password not in trail
    assert "sam@example.org" not in trail


def test_account_created_in_the_shell_is_audited():
    user = User.objects.create_user(username="shelly", password="shell-password-1")

    event = AuditEvent.objects.get(action="user.created", target_id=str(user.pk))
    assert event.data == {"username": "shelly", "usable_password": True}
    assert "shell-password-1" not in json.dumps(event.data)


def test_an_email_change_in_the_admin_names_the_administrator(admin1, make_user, client_for):
    user = make_user(Role.MODERATOR, username="eve")
    client = fresh(client_for(admin1))

    client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        user_change_data(user, email="eve@example.org", groups=[group_pk(Role.MODERATOR)]),
    )

    event = AuditEvent.objects.get(action="user.email_changed", target_id=str(user.pk))
    assert event.actor == admin1
    assert event.data["new"] == _digest("eve@example.org")


def test_an_account_change_and_its_event_commit_together(make_user):
    user = make_user(username="atomic")

    def change_then_fail() -> None:
        with transaction.atomic():
            user.email = "rolled@example.org"
            user.save()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()

    user.refresh_from_db()
    assert user.email == ""
    assert not AuditEvent.objects.filter(action="user.email_changed").exists()


def _digest(value: str) -> str:
    import audit

    return audit.pii_digest(value)
