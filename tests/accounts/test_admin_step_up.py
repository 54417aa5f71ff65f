from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import EnrolmentLink, User
from accounts.roles import Role
from tests.accounts.helpers import user_change_data
from tests.utils import set_step_up

pytestmark = pytest.mark.django_db

FRESH = "fresh"
STALE = "stale"
NEVER = "never"


def with_step_up(client, when: str):
    """Give the client's session a step-up of the given age, or none at all."""
    if when == NEVER:
        return set_step_up(client, age_seconds=None)
    age = 0 if when == FRESH else settings.REAUTH_MAX_AGE_SECONDS + 60
    return set_step_up(client, age_seconds=age)


def reauth_url_for(next_url: str) -> str:
    return f"{reverse('accounts:reauth')}?{urlencode({'next': next_url})}"


def assert_sent_to_step_up(response, next_url: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == reauth_url_for(next_url)
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("confirm it is you" in text for text in shown), shown


@pytest.fixture
def target(make_user) -> User:
    return make_user(Role.MODERATOR, username="target")


@pytest.fixture
def superuser(make_user) -> User:
    user = make_user(Role.ADMINISTRATOR, username="root")
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def test_user_change_form_get_needs_no_step_up(administrator, client_for, target):
    url = reverse("admin:accounts_user_change", args=[target.pk])

    response = client_for(administrator).get(url)

    assert response.status_code == 200
    assert b'name="groups"' in response.content


@pytest.mark.parametrize("when", [NEVER, STALE])
def test_user_change_adding_a_group_without_fresh_step_up_changes_nothing(
    administrator, client_for, target, when
):
    client = with_step_up(client_for(administrator), when)
    url = reverse("admin:accounts_user_change", args=[target.pk])
    legal = Group.objects.get(name=Role.LEGAL_OFFICER)
    groups = [*target.groups.values_list("pk", flat=True), legal.pk]

    response = client.post(url, user_change_data(target, groups=groups))

    assert_sent_to_step_up(response, url)
    assert set(target.groups.values_list("name", flat=True)) == {Role.MODERATOR}
    assert client.get(url).status_code == 200


def test_user_change_adding_a_group_with_fresh_step_up_applies(administrator, client_for, target):
    # An unprivileged role; privileged ones are grants (tests/accounts/test_dual_control.py).
    client = with_step_up(client_for(administrator), FRESH)
    url = reverse("admin:accounts_user_change", args=[target.pk])
    senior = Group.objects.get(name=Role.SENIOR_MODERATOR)
    groups = [*target.groups.values_list("pk", flat=True), senior.pk]

    response = client.post(url, user_change_data(target, groups=groups))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_user_changelist")
    assert set(target.groups.values_list("name", flat=True)) == {
        Role.MODERATOR,
        Role.SENIOR_MODERATOR,
    }


@pytest.mark.parametrize("when", [STALE, FRESH])
def test_user_change_cannot_make_a_superuser_even_for_a_superuser(
    superuser, client_for, target, when
):
    """Superuser status is a grant that a second administrator approves, never a checkbox."""
    client = with_step_up(client_for(superuser), when)
    url = reverse("admin:accounts_user_change", args=[target.pk])

    client.post(url, user_change_data(target, is_superuser="on", is_staff="on"))

    target.refresh_from_db()
    assert not target.is_superuser
    assert 'name="is_superuser"' not in client.get(url).content.decode()


def test_an_administrator_cannot_grant_superuser_status_or_loose_permissions(
    administrator, client_for, target
):
    """Roles are groups: only a superuser may bypass the role table."""
    client = with_step_up(client_for(administrator), FRESH)
    url = reverse("admin:accounts_user_change", args=[administrator.pk])
    permission = Permission.objects.get(codename="release_packages")

    client.post(
        url,
        user_change_data(administrator, is_superuser="on", user_permissions=[permission.pk]),
    )

    administrator.refresh_from_db()
    assert not administrator.is_superuser
    assert not administrator.user_permissions.exists()
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page


NEW_USER = {
    "username": "newcomer",
    # Fields the add form does not have (tests/accounts/test_enrolment_links.py): ignored.
    "usable_password": "true",
    "password1": "a-long-enough-pass-1",
    "password2": "a-long-enough-pass-1",
    "is_superuser": "on",
    "roles": [Role.MODERATOR.value],
    "_save": "Save",
}


@pytest.mark.parametrize("when", [NEVER, STALE])
def test_user_add_without_fresh_step_up_creates_nothing(administrator, client_for, when):
    client = with_step_up(client_for(administrator), when)
    url = reverse("admin:accounts_user_add")
    data = NEW_USER

    response = client.post(url, data)

    assert_sent_to_step_up(response, url)
    assert not User.objects.filter(username="newcomer").exists()
    assert not EnrolmentLink.objects.exists()


def test_user_add_with_fresh_step_up_creates_the_user_with_an_enrolment_link(
    administrator, client_for
):
    client = with_step_up(client_for(administrator), FRESH)
    data = NEW_USER

    response = client.post(reverse("admin:accounts_user_add"), data)

    assert response.status_code == 200  # the page showing the one-time link
    created = User.objects.get(username="newcomer")
    assert not created.is_superuser
    assert not created.has_usable_password()
    assert EnrolmentLink.objects.filter(user=created, used_at__isnull=True).count() == 1


@pytest.mark.parametrize(("when", "issued"), [(NEVER, False), (STALE, False), (FRESH, True)])
def test_user_password_page_issues_a_reset_link_only_after_a_fresh_step_up(
    administrator, client_for, target, when, issued
):
    client = with_step_up(client_for(administrator), when)
    url = reverse("admin:auth_user_password_change", args=[target.pk])

    response = client.post(url, {"issue_reset_link": "1"})

    if not issued:
        assert_sent_to_step_up(response, url)
    assert EnrolmentLink.objects.filter(user=target).exists() is issued
    target.refresh_from_db()
    assert target.check_password("correct-horse-42") is not issued


@pytest.mark.parametrize("when", [STALE, FRESH])
def test_user_password_page_never_sets_a_password(administrator, client_for, target, when):
    client = with_step_up(client_for(administrator), when)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    data = {
        "usable_password": "true",
        "password1": "another-long-pass-2",
        "password2": "another-long-pass-2",
        "set-password": "Change password",
    }

    response = client.post(url, data)

    if when == STALE:
        assert_sent_to_step_up(response, url)
    else:
        assert response.status_code == 403
    target.refresh_from_db()
    assert not target.check_password("another-long-pass-2")
    assert target.check_password("correct-horse-42")


def reset_second_factor(client, user: User):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
    )


@pytest.mark.parametrize("when", [NEVER, STALE])
def test_reset_second_factor_action_without_fresh_step_up_removes_nothing(
    administrator, client_for, target, when
):
    TOTPDevice.objects.create(user=target, name="phone", confirmed=True)
    client = with_step_up(client_for(administrator), when)

    response = reset_second_factor(client, target)

    assert_sent_to_step_up(response, reverse("admin:accounts_user_changelist"))
    assert TOTPDevice.objects.filter(user=target).exists()
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_reset_second_factor_action_with_fresh_step_up_removes_devices(
    administrator, client_for, target
):
    TOTPDevice.objects.create(user=target, name="phone", confirmed=True)
    client = with_step_up(client_for(administrator), FRESH)

    response = reset_second_factor(client, target)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()


def test_group_admin_is_the_step_up_one_and_keeps_djangos_behaviour():
    from django.contrib import admin
    from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin

    from accounts.admin import GroupAdmin

    registered = admin.site._registry[Group]
    assert isinstance(registered, GroupAdmin)
    assert isinstance(registered, DjangoGroupAdmin)
    assert registered.filter_horizontal == ("permissions",)


@pytest.mark.parametrize(("when", "granted"), [(NEVER, False), (STALE, False), (FRESH, True)])
def test_group_permission_change_needs_fresh_step_up(superuser, client_for, when, granted):
    group = Group.objects.get(name=Role.MODERATOR)
    extra = Permission.objects.get(codename="view_moderation_stats")
    permissions = [*group.permissions.values_list("pk", flat=True), extra.pk]
    client = with_step_up(client_for(superuser), when)
    url = reverse("admin:auth_group_change", args=[group.pk])

    response = client.post(url, {"name": group.name, "permissions": permissions, "_save": "Save"})

    if not granted:
        assert_sent_to_step_up(response, url)
        assert client.get(url).status_code == 200
    assert group.permissions.filter(pk=extra.pk).exists() is granted


def test_group_delete_without_fresh_step_up_keeps_the_group(superuser, client_for):
    group = Group.objects.get(name=Role.MODERATOR)
    client = with_step_up(client_for(superuser), STALE)
    url = reverse("admin:auth_group_delete", args=[group.pk])

    response = client.post(url, {"post": "yes"})

    assert_sent_to_step_up(response, url)
    assert Group.objects.filter(pk=group.pk).exists()
