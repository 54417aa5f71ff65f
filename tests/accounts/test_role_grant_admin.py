"""
Roles in the admin: the user form adds only unprivileged roles; the grant screens request,
approve and revoke under a fresh step-up, for administrators only.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import RoleGrant
from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.helpers import (
    approve_grant,
    fresh,
    group_pk,
    request_grant,
    roles_of,
    user_change_data,
)
from tests.utils import set_step_up

pytestmark = pytest.mark.django_db


# --- The user form: only unprivileged roles are added there ------------------------------------


def test_user_form_adds_an_unprivileged_role_and_removes_a_privileged_one(
    admin1, make_user, client_for
):
    target = make_user(Role.LEGAL_OFFICER)
    client = fresh(client_for(admin1))
    url = reverse("admin:accounts_user_change", args=[target.pk])

    response = client.post(url, user_change_data(target, groups=[group_pk(Role.MODERATOR)]))

    assert response.status_code == 302
    assert roles_of(target) == {Role.MODERATOR}
    changes = AuditEvent.objects.filter(action="user.roles_changed", target_id=str(target.pk))
    assert {"removed": ["Legal officer"]} in [e.data for e in changes]


def test_user_form_refuses_superuser_status_and_loose_permissions_to_a_superuser_too(
    make_user, client_for
):
    root = make_user(Role.ADMINISTRATOR, username="root")
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])
    target = make_user(Role.MODERATOR)
    client = fresh(client_for(root))
    url = reverse("admin:accounts_user_change", args=[target.pk])

    page = client.get(url).content.decode()
    client.post(url, user_change_data(target, is_superuser="on", user_permissions=[1]))

    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page
    target.refresh_from_db()
    assert not target.is_superuser
    assert not target.user_permissions.exists()


def test_group_admin_exposes_no_members_and_administrators_cannot_change_roles(
    admin1, client_for, rf
):
    from django.contrib import admin

    registered = admin.site._registry[Group]
    request = rf.get("/")
    request.user = admin1
    assert set(registered.get_form(request).base_fields) == {"name", "permissions"}
    client = fresh(client_for(admin1))
    group = Group.objects.get(name=Role.LEGAL_APPROVER)

    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": group.name, "permissions": [], "_save": "Save"},
    )

    assert response.status_code == 403
    assert group.permissions.exists()


def test_revoke_actions_in_the_admin(admin1, admin2, newcomer, make_user, client_for):
    grant = approve_grant(admin2, request_grant(admin1, newcomer, Role.AUDITOR))
    root = make_user(username="root")
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])
    client = fresh(client_for(admin1))

    client.post(
        reverse("admin:accounts_rolegrant_changelist"),
        {"action": "revoke_selected", "_selected_action": [grant.pk]},
    )
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "revoke_superuser", "_selected_action": [root.pk]},
    )

    assert roles_of(newcomer) == set()
    root.refresh_from_db()
    assert not root.is_superuser
    revoked = AuditEvent.objects.filter(action="role.revoked").order_by("id")
    assert [e.data for e in revoked] == [
        {"role": "Auditor", "grant": grant.pk},
        {"role": "superuser", "grant": None},
    ]


# --- The admin's grant screens -----------------------------------------------------------------


def test_grant_request_form_offers_only_privileged_roles_and_not_oneself(
    admin1, newcomer, client_for
):
    client = fresh(client_for(admin1))
    url = reverse("admin:accounts_rolegrant_add")

    page = client.get(url).content.decode()
    response = client.post(url, {"user": newcomer.pk, "role": Role.MODERATOR.value, "reason": "x"})

    assert 'value="Moderator"' not in page
    assert 'value="superuser"' in page
    assert f'value="{admin1.pk}"' not in page
    assert response.status_code == 200
    assert not RoleGrant.objects.exists()


@pytest.mark.parametrize("age", [None, 10_000])
def test_grant_screens_need_a_fresh_step_up_for_every_submission(
    admin1, admin2, newcomer, client_for, age
):
    grant = request_grant(admin2, newcomer, Role.AUDITOR)
    client = set_step_up(client_for(admin1), age_seconds=age)

    requested = client.post(
        reverse("admin:accounts_rolegrant_add"),
        {"user": newcomer.pk, "role": Role.LEGAL_OFFICER.value, "reason": "Needed."},
    )
    approved = client.post(
        reverse("admin:accounts_rolegrant_change", args=[grant.pk]), {"_approve": "1"}
    )

    for response in (requested, approved):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:reauth"))
    assert RoleGrant.objects.count() == 1
    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.PENDING


def test_grant_page_shows_the_buttons_each_administrator_may_use(
    admin1, admin2, newcomer, client_for
):
    grant = request_grant(admin1, newcomer, Role.AUDITOR)
    url = reverse("admin:accounts_rolegrant_change", args=[grant.pk])

    mine = client_for(admin1).get(url).content.decode()
    theirs = client_for(admin2).get(url).content.decode()

    assert 'name="_cancel"' in mine
    assert 'name="_approve"' not in mine
    assert 'name="_approve"' in theirs
    assert 'name="_refuse"' in theirs


def test_grant_screens_are_closed_to_everyone_but_administrators(
    make_user, client_for, admin1, newcomer
):
    grant = request_grant(admin1, newcomer, Role.AUDITOR)
    approver = make_user(Role.LEGAL_APPROVER)
    client = fresh(client_for(approver))

    response = client.post(
        reverse("admin:accounts_rolegrant_change", args=[grant.pk]), {"_approve": "1"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.PENDING


def test_waiting_grants_are_listed_first_and_counted_on_the_dashboard(
    admin1, admin2, make_user, client_for
):
    decided = approve_grant(admin2, request_grant(admin1, make_user(), Role.AUDITOR))
    waiting = request_grant(admin1, make_user(), Role.AUDITOR)
    client = client_for(admin2)

    listing = client.get(reverse("admin:accounts_rolegrant_changelist"))
    dashboard = client.get(reverse("dashboard")).content.decode()

    rows = list(listing.context["cl"].result_list)
    assert [g.pk for g in rows] == [waiting.pk, decided.pk]
    assert "1 waiting for a second administrator" in listing.content.decode()
    assert "1 role grant is waiting for a second administrator." in dashboard


def test_grant_list_query_count_does_not_grow_with_rows(
    admin1, admin2, make_user, client_for, django_assert_num_queries, django_assert_max_num_queries
):
    client = client_for(admin1)
    url = reverse("admin:accounts_rolegrant_changelist")

    def add(n: int) -> None:
        for _ in range(n):
            grant = request_grant(admin2, make_user(), Role.AUDITOR)
            approve_grant(admin1, grant)

    add(2)
    client.get(url)  # warm caches (content types, permissions)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    add(20)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
