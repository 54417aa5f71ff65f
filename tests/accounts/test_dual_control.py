"""
Dual control over privileged access (issue 11): a privileged role is a grant that a second
administrator approves; nobody grants themself or approves their own request; an account
does not both prepare and approve disclosures; revoking is immediate; every change to an
account is audited without its password; a newly privileged account waits out a
cooling-off period before it approves or releases anything.

The first test is the attack from the issue, replayed through the admin's pages.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.models import RoleGrant, User
from accounts.roles import SUPERUSER, Role
from accounts.services_grants import (
    RoleGrantDenied,
    RoleGrantError,
    StepUpRequired,
    role_grant_approve,
    role_grant_cancel,
    role_grant_refuse,
    role_grant_request,
    role_revoke,
)
from audit.models import AuditEvent
from disclosures.exceptions import SeparationOfDutiesViolation
from disclosures.models import LegalRequest
from disclosures.selectors import review as review_selectors
from disclosures.services import review
from tests.accounts.test_admin_step_up import user_change_data
from tests.utils import (
    login_verified,
    race,
    race_errors,
    race_outcomes,
    requires_postgres,
    set_step_up,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"


def now() -> int:
    return int(time.time())


def fresh(client):  # type: ignore[no-untyped-def]
    return set_step_up(client, age_seconds=0)


def roles_of(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def actions_about(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="accounts.user", target_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def denials(rule: str) -> list[AuditEvent]:
    return [
        e for e in AuditEvent.objects.filter(action="authz.denied") if e.data.get("rule") == rule
    ]


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def group_pk(role: Role) -> int:
    return Group.objects.get(name=role.value).pk


def request_grant(actor: User, user: User, role: str, **kwargs: Any) -> RoleGrant:
    return role_grant_request(
        actor=actor,
        user=user,
        role=role,
        reason=kwargs.pop("reason", "Joins the legal team."),
        reauthenticated_at=kwargs.pop("reauthenticated_at", now()),
    )


def approve_grant(actor: User, grant: RoleGrant, **kwargs: Any) -> RoleGrant:
    return role_grant_approve(
        actor=actor,
        grant_id=grant.pk,
        reauthenticated_at=kwargs.pop("reauthenticated_at", now()),
        **kwargs,
    )


@pytest.fixture
def admin1(make_user) -> User:
    return make_user(Role.ADMINISTRATOR, username="mallory")


@pytest.fixture
def admin2(make_user) -> User:
    return make_user(Role.ADMINISTRATOR, username="trent")


@pytest.fixture
def newcomer(make_user) -> User:
    return make_user(username="newcomer")


def vote(request: LegalRequest, actor: User) -> Any:
    return review.request_approve(
        request_id=request.pk,
        actor=actor,
        scope_hash=review_selectors.live_scope(request).scope_hash,
        reauthenticated_at=now(),
    )


# --- The attack from the issue, through the admin's pages --------------------------------------


def test_a_single_administrator_cannot_make_a_second_pair_of_eyes(
    admin1, admin2, make_user, client_for
):
    from tests.disclosures.helpers import submitted_request

    client = fresh(client_for(admin1))

    # 1. Give themself both legal roles on their own account page: refused, nothing changes.
    own_page = reverse("admin:accounts_user_change", args=[admin1.pk])
    groups = [
        group_pk(Role.ADMINISTRATOR),
        group_pk(Role.LEGAL_OFFICER),
        group_pk(Role.LEGAL_APPROVER),
    ]
    response = client.post(own_page, user_change_data(admin1, groups=groups))
    assert response.status_code == 200
    assert "privileged role" in response.content.decode()
    assert roles_of(admin1) == {Role.ADMINISTRATOR}
    (refused,) = denials("privileged_role")
    assert (refused.actor, refused.target_id) == (admin1, str(admin1.pk))
    assert refused.data["roles"] == [Role.LEGAL_APPROVER, Role.LEGAL_OFFICER]

    # ... nor superuser status, which the form does not even offer.
    client.post(own_page, user_change_data(admin1, is_superuser="on"))
    admin1.refresh_from_db()
    assert not admin1.is_superuser

    # 2. Create a second account (audited), then give it Legal approver directly: refused.
    response = client.post(
        reverse("admin:accounts_user_add"), {"username": "sock", "_save": "Save"}
    )
    assert response.status_code in {200, 302}
    sock = User.objects.get(username="sock")
    created = AuditEvent.objects.get(action="user.created", target_id=str(sock.pk))
    assert created.actor == admin1
    sock_page = reverse("admin:accounts_user_change", args=[sock.pk])
    response = client.post(
        sock_page, user_change_data(sock, groups=[group_pk(Role.LEGAL_APPROVER)])
    )
    assert response.status_code == 200
    assert roles_of(sock) == set()

    # The attacker still knows the password they chose (however it was set): that is audited.
    sock.set_password(PASSWORD)
    sock.save()
    assert AuditEvent.objects.filter(action="user.password_set", target_id=str(sock.pk)).exists()

    # 3. Request the grant (works: it is only a request) and approve it themself: refused.
    response = client.post(
        reverse("admin:accounts_rolegrant_add"),
        {"user": sock.pk, "role": Role.LEGAL_APPROVER.value, "reason": "Cover for holidays."},
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=sock)
    assert grant.status == RoleGrant.Status.PENDING
    assert roles_of(sock) == set()
    grant_page = reverse("admin:accounts_rolegrant_change", args=[grant.pk])
    response = client.post(grant_page, {"_approve": "1"})
    assert response.status_code == 302
    assert any("another administrator must approve" in m for m in shown(response))
    response = client.post(
        reverse("admin:accounts_rolegrant_changelist"),
        {"action": "approve_selected", "_selected_action": [grant.pk]},
    )
    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.PENDING
    assert roles_of(sock) == set()
    assert len(denials("own_request")) == 2

    # ... and a grant for themself cannot even be asked for.
    response = client.post(
        reverse("admin:accounts_rolegrant_add"),
        {"user": admin1.pk, "role": Role.LEGAL_OFFICER.value, "reason": "Me."},
    )
    assert response.status_code == 200
    assert not RoleGrant.objects.filter(user=admin1).exists()
    with pytest.raises(RoleGrantDenied):
        request_grant(admin1, admin1, Role.LEGAL_OFFICER)

    # 4. A second administrator approves: the role takes effect, audited with both names.
    other = fresh(client_for(admin2))
    response = other.post(grant_page, {"_approve": "1", "decision_note": "Checked with HR."})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by, grant.decision_note) == (
        RoleGrant.Status.APPROVED,
        admin2,
        "Checked with HR.",
    )
    assert roles_of(sock) == {Role.LEGAL_APPROVER}
    approved = AuditEvent.objects.get(action="role_grant.approved")
    assert approved.actor == admin2
    assert approved.data == {"grant": grant.pk, "role": "Legal approver", "requested_by": admin1.pk}

    # 5. The new approver tries to approve a disclosure within the cooling-off: refused.
    legal = make_user(Role.LEGAL_OFFICER, username="louise")
    request, _ = submitted_request(registrar=legal)
    with pytest.raises(SeparationOfDutiesViolation, match="Cooling-off until"):
        vote(request, sock)
    request.refresh_from_db()
    assert request.status == LegalRequest.Status.PENDING_APPROVAL
    denied = AuditEvent.objects.filter(action="authz.denied", actor=sock).get()
    assert denied.data == {"operation": "request_approve", "rule": "SeparationOfDutiesViolation"}
    page = login_verified(type(client)(), sock).get(reverse("dashboard")).content.decode()
    assert "Cooling-off until" in page
    assert "you cannot approve or release yet" in page


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


# --- Requesting and deciding, through the services ---------------------------------------------


def test_request_records_the_grant_without_giving_anything(admin1, newcomer):
    grant = request_grant(admin1, newcomer, Role.AUDITOR, reason="Quarterly audit.")

    assert (grant.status, grant.requested_by, grant.role) == ("pending", admin1, "Auditor")
    assert roles_of(newcomer) == set()
    event = AuditEvent.objects.get(action="role_grant.requested")
    assert (event.actor, event.target_id) == (admin1, str(newcomer.pk))
    assert event.data == {"grant": grant.pk, "role": "Auditor"}  # never the reason's text


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.SENIOR_MODERATOR, "Pope"])
def test_request_refuses_a_role_that_needs_no_grant(admin1, newcomer, role):
    with pytest.raises(RoleGrantError, match="not a privileged role"):
        request_grant(admin1, newcomer, role)
    assert not RoleGrant.objects.exists()


def test_request_and_approval_need_a_fresh_step_up(admin1, admin2, newcomer, settings):
    stale = now() - settings.REAUTH_MAX_AGE_SECONDS - 60
    with pytest.raises(StepUpRequired):
        request_grant(admin1, newcomer, Role.AUDITOR, reauthenticated_at=stale)
    grant = request_grant(admin1, newcomer, Role.AUDITOR)

    with pytest.raises(StepUpRequired):
        approve_grant(admin2, grant, reauthenticated_at=None)

    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.PENDING
    assert roles_of(newcomer) == set()
    assert len(denials("step_up_required")) == 2


def test_only_administrators_request_or_decide(admin1, newcomer, make_user):
    approver = make_user(Role.LEGAL_APPROVER)
    with pytest.raises(RoleGrantDenied):
        request_grant(approver, newcomer, Role.LEGAL_APPROVER)
    grant = request_grant(admin1, newcomer, Role.AUDITOR)
    with pytest.raises(RoleGrantDenied):
        approve_grant(approver, grant)
    assert roles_of(newcomer) == set()


def test_the_account_receiving_the_grant_cannot_approve_it(admin1, admin2):
    grant = request_grant(admin1, admin2, Role.AUDITOR)

    with pytest.raises(RoleGrantDenied, match="for you"):
        approve_grant(admin2, grant)

    assert roles_of(admin2) == {Role.ADMINISTRATOR}
    assert denials("own_grant")


def test_database_refuses_a_self_decided_grant_whatever_the_code(admin1, newcomer):
    grant = request_grant(admin1, newcomer, Role.AUDITOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.filter(pk=grant.pk).update(status="approved", decided_by=admin1)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=admin1, role="Auditor", reason="x", requested_by=admin1)


def test_one_waiting_request_per_role_and_none_for_a_role_held(admin1, newcomer, make_user):
    request_grant(admin1, newcomer, Role.AUDITOR)
    with pytest.raises(RoleGrantError, match="already waiting"):
        request_grant(admin1, newcomer, Role.AUDITOR)
    with pytest.raises(RoleGrantError, match="already holds"):
        request_grant(admin1, make_user(Role.AUDITOR), Role.AUDITOR)


def test_approval_of_superuser_status_sets_the_flag_and_ends_sessions(
    admin1, admin2, newcomer, client
):
    client.force_login(newcomer)
    grant = request_grant(admin1, newcomer, SUPERUSER)

    approve_grant(admin2, grant)

    newcomer.refresh_from_db()
    assert (newcomer.is_superuser, newcomer.is_staff) == (True, True)
    assert "user.superuser_changed" in actions_about(newcomer)
    assert "session.terminated" in actions_about(newcomer)


def test_approval_of_a_role_ends_the_accounts_sessions(admin1, admin2, newcomer, client):
    client.force_login(newcomer)
    grant = request_grant(admin1, newcomer, Role.AUDITOR)

    approve_grant(admin2, grant)

    terminated = AuditEvent.objects.get(action="session.terminated", target_id=str(newcomer.pk))
    assert terminated.data["reason"] == "roles_changed"


def test_a_decided_grant_cannot_be_decided_again(admin1, admin2, newcomer, make_user):
    admin3 = make_user(Role.ADMINISTRATOR)
    grant = request_grant(admin1, newcomer, Role.AUDITOR)
    role_grant_refuse(actor=admin2, grant_id=grant.pk, note="Not yet.")

    with pytest.raises(RoleGrantError, match="already decided"):
        approve_grant(admin3, grant)

    assert roles_of(newcomer) == set()
    refused = AuditEvent.objects.get(action="role_grant.refused")
    assert (refused.actor, refused.data) == (admin2, {"grant": grant.pk, "role": "Auditor"})
    assert not denials("already_decided")  # a lost race or a late click is not a denial


def test_only_the_requester_withdraws_a_request(admin1, admin2, newcomer):
    grant = request_grant(admin1, newcomer, Role.AUDITOR)
    with pytest.raises(RoleGrantDenied):
        role_grant_cancel(actor=admin2, grant_id=grant.pk)
    with pytest.raises(RoleGrantDenied):
        role_grant_refuse(actor=admin1, grant_id=grant.pk)

    role_grant_cancel(actor=admin1, grant_id=grant.pk)

    grant.refresh_from_db()
    assert (grant.status, grant.decided_by) == (RoleGrant.Status.CANCELLED, None)
    assert AuditEvent.objects.filter(action="role_grant.cancelled", actor=admin1).exists()


def test_a_deactivated_account_gets_no_role(admin1, admin2, newcomer):
    grant = request_grant(admin1, newcomer, Role.AUDITOR)
    newcomer.is_active = False
    newcomer.save()

    with pytest.raises(RoleGrantError, match="deactivated"):
        approve_grant(admin2, grant)
    assert roles_of(newcomer) == set()


# --- Preparing and approving on one account ----------------------------------------------------


def test_an_officer_cannot_be_made_an_approver(admin1, make_user):
    officer = make_user(Role.LEGAL_OFFICER)

    with pytest.raises(RoleGrantDenied, match="both prepare and approve"):
        request_grant(admin1, officer, Role.LEGAL_APPROVER)

    assert not RoleGrant.objects.exists()
    assert denials("preparer_and_approver")


def test_two_waiting_requests_cannot_add_up_to_both_roles(admin1, newcomer):
    request_grant(admin1, newcomer, Role.LEGAL_OFFICER)

    with pytest.raises(RoleGrantDenied, match="both prepare and approve"):
        request_grant(admin1, newcomer, Role.LEGAL_APPROVER)


def test_exclusivity_is_checked_again_at_approval(admin1, admin2, newcomer):
    from accounts.services import user_set_roles

    grant = request_grant(admin1, newcomer, Role.LEGAL_APPROVER)
    user_set_roles(user=newcomer, roles=[Role.LEGAL_OFFICER])  # trusted code, meanwhile

    with pytest.raises(RoleGrantDenied, match="both prepare and approve"):
        approve_grant(admin2, grant)

    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.PENDING
    assert roles_of(newcomer) == {Role.LEGAL_OFFICER}


def test_when_allowed_both_roles_are_held_and_the_preparer_still_cannot_approve(
    admin1, admin2, make_user, settings
):
    from tests.disclosures.helpers import submitted_request

    settings.ALLOW_PREPARER_AND_APPROVER = True
    settings.PRIVILEGED_COOLING_OFF_HOURS = 0  # this test is about four eyes alone
    dual = make_user(Role.LEGAL_OFFICER, username="dual")
    approve_grant(admin2, request_grant(admin1, dual, Role.LEGAL_APPROVER))
    assert roles_of(dual) == {Role.LEGAL_OFFICER, Role.LEGAL_APPROVER}
    registrar = make_user(Role.LEGAL_OFFICER)
    request, _ = submitted_request(registrar=registrar, preparer=dual)

    with pytest.raises(SeparationOfDutiesViolation, match="You prepared this scope"):
        vote(request, dual)


# --- Revoking ----------------------------------------------------------------------------------


def test_revoking_takes_effect_at_once_without_a_second_person(admin1, make_user, client):
    approver = make_user(Role.LEGAL_APPROVER)
    client.force_login(approver)

    role_revoke(actor=admin1, user=approver, role=Role.LEGAL_APPROVER)

    assert roles_of(approver) == set()
    event = AuditEvent.objects.get(action="role.revoked")
    assert (event.actor, event.target_id) == (admin1, str(approver.pk))
    assert event.data == {"role": "Legal approver", "grant": None}
    assert "session.terminated" in actions_about(approver)


def test_an_administrator_may_reduce_their_own_access(admin1):
    role_revoke(actor=admin1, user=admin1, role=Role.ADMINISTRATOR)

    admin1.refresh_from_db()
    assert roles_of(admin1) == set()
    assert not admin1.is_staff


def test_revoking_works_for_unprivileged_roles_and_refuses_a_role_not_held(admin1, moderator):
    role_revoke(actor=admin1, user=moderator, role=Role.MODERATOR)
    assert roles_of(moderator) == set()
    with pytest.raises(RoleGrantError, match="does not hold"):
        role_revoke(actor=admin1, user=moderator, role=Role.MODERATOR)


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


# --- Cooling-off -------------------------------------------------------------------------------


def test_cooling_off_lasts_the_configured_hours_from_the_approval(
    admin1, admin2, newcomer, settings
):
    settings.PRIVILEGED_COOLING_OFF_HOURS = 24
    grant = approve_grant(admin2, request_grant(admin1, newcomer, Role.LEGAL_APPROVER))

    assert selectors.cooling_off_until(newcomer) == grant.decided_at + timedelta(hours=24)
    later = grant.decided_at + timedelta(hours=24, seconds=1)
    assert selectors.cooling_off_until(newcomer, now=later) is None


def test_roles_set_by_trusted_code_have_no_cooling_off(make_user, client_for):
    approver = make_user(Role.LEGAL_APPROVER)

    assert selectors.cooling_off_until(approver) is None
    assert "Cooling-off" not in client_for(approver).get(reverse("dashboard")).content.decode()


def test_after_the_cooling_off_the_new_approver_may_vote(admin1, admin2, newcomer, make_user):
    from tests.disclosures.helpers import submitted_request

    grant = approve_grant(admin2, request_grant(admin1, newcomer, Role.LEGAL_APPROVER))
    RoleGrant.objects.filter(pk=grant.pk).update(decided_at=timezone.now() - timedelta(hours=25))
    request, _ = submitted_request(registrar=make_user(Role.LEGAL_OFFICER))

    vote(request, newcomer)

    request.refresh_from_db()
    assert request.status == LegalRequest.Status.APPROVED


def test_a_new_legal_officer_cannot_release_within_the_cooling_off(
    admin1, admin2, newcomer, make_user, settings, tmp_path
):
    from disclosures.services import release
    from tests.disclosures.helpers import built

    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    legal = make_user(Role.LEGAL_OFFICER)
    request, _ = built(legal, make_user(Role.LEGAL_APPROVER))
    approve_grant(admin2, request_grant(admin1, newcomer, Role.LEGAL_OFFICER))

    with pytest.raises(SeparationOfDutiesViolation, match="Cooling-off until"):
        release.package_release(request_id=request.pk, actor=newcomer, reauthenticated_at=now())

    request.refresh_from_db()
    assert request.status == LegalRequest.Status.APPROVED
    denied = AuditEvent.objects.get(action="authz.denied", actor=newcomer)
    assert denied.data == {"operation": "package_release", "rule": "SeparationOfDutiesViolation"}


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


# --- Concurrency (PostgreSQL) ------------------------------------------------------------------


def _race(calls: list[Any]) -> list[str]:
    """Run the calls at the same instant; "ok" or "refused" for each."""
    results = race(*calls)
    errors = race_errors(results, RoleGrantError)
    assert errors == []
    return race_outcomes(results, refusal=RoleGrantError)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_administrators_approving_at_once_give_the_role_once(make_user):
    requester = make_user(Role.ADMINISTRATOR)
    approvers = [make_user(Role.ADMINISTRATOR) for _ in range(2)]
    user = make_user()
    grant = request_grant(requester, user, Role.LEGAL_APPROVER)

    outcomes = _race([lambda a=a: approve_grant(a, grant) for a in approvers])

    assert sorted(outcomes) == ["ok", "refused"]
    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.APPROVED
    assert grant.decided_by in approvers
    assert roles_of(user) == {Role.LEGAL_APPROVER}
    assert AuditEvent.objects.filter(action="role_grant.approved").count() == 1
    added = AuditEvent.objects.filter(action="user.roles_changed", target_id=str(user.pk))
    assert [e.data for e in added] == [{"added": ["Legal approver"]}]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_approving_and_refusing_at_once_decide_once(make_user):
    requester, approver, refuser = (make_user(Role.ADMINISTRATOR) for _ in range(3))
    user = make_user()
    grant = request_grant(requester, user, Role.AUDITOR)

    outcomes = _race(
        [
            lambda: approve_grant(approver, grant),
            lambda: role_grant_refuse(actor=refuser, grant_id=grant.pk),
        ]
    )

    assert sorted(outcomes) == ["ok", "refused"]
    grant.refresh_from_db()
    assert (grant.status == RoleGrant.Status.APPROVED) == (roles_of(user) == {Role.AUDITOR})
    decided = AuditEvent.objects.filter(action__in=["role_grant.approved", "role_grant.refused"])
    assert decided.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_officer_and_approver_grants_approved_at_once_give_only_one(make_user):
    requester = make_user(Role.ADMINISTRATOR)
    approvers = [make_user(Role.ADMINISTRATOR) for _ in range(2)]
    user = make_user()
    officer = request_grant(requester, user, Role.LEGAL_OFFICER)
    # Arranged directly: the request service already refuses the second one.
    approver_grant = RoleGrant.objects.create(
        user=user, role=Role.LEGAL_APPROVER.value, reason="x", requested_by=requester
    )

    outcomes = _race(
        [
            lambda: approve_grant(approvers[0], officer),
            lambda: approve_grant(approvers[1], approver_grant),
        ]
    )

    assert sorted(outcomes) == ["ok", "refused"]
    assert len(roles_of(user)) == 1


def test_an_administrators_password_reset_takes_the_privileged_roles_away(admin1, make_user):
    """
    One administrator resetting a Legal approver's password (and using the link themself)
    must not end up holding a working approver: the roles come back only through grants a
    second administrator approves.
    """
    from accounts.enrolment import enrolment_link_issue

    approver = make_user(Role.LEGAL_APPROVER, Role.MODERATOR, username="approver-reset")
    enrolment_link_issue(user=approver, actor=admin1, purpose="reset")

    approver.refresh_from_db()
    assert roles_of(approver) == {Role.MODERATOR.value}
    revoked = AuditEvent.objects.filter(action="role.revoked", target_id=str(approver.pk)).get()
    assert revoked.actor == admin1
    assert revoked.data == {
        "role": Role.LEGAL_APPROVER.value,
        "grant": None,
        "reason": "password_reset",
    }


def test_a_users_own_reset_command_keeps_the_roles(make_user):
    """The operations command (no administrator acting) is the bootstrap path: roles kept."""
    from accounts.enrolment import enrolment_link_issue

    approver = make_user(Role.LEGAL_APPROVER, username="approver-ops")
    enrolment_link_issue(user=approver, actor=None, purpose="reset")
    approver.refresh_from_db()
    assert roles_of(approver) == {Role.LEGAL_APPROVER.value}


def test_an_administrators_second_factor_reset_takes_the_privileged_roles_away(admin1, make_user):
    from accounts import mfa

    officer = make_user(Role.LEGAL_OFFICER, username="officer-lost-phone")
    mfa.mfa_reset(user=officer, actor=admin1)

    officer.refresh_from_db()
    assert roles_of(officer) == set()
    revoked = AuditEvent.objects.filter(action="role.revoked", target_id=str(officer.pk)).get()
    assert revoked.data["reason"] == "second_factor_reset"
