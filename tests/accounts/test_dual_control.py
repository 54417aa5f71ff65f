"""
Dual control over privileged access (issue 11), end to end: one administrator alone cannot
make a second pair of eyes; an account does not both prepare and approve disclosures; a
newly privileged account waits out a cooling-off period before it approves or releases
anything. Grants themselves are in test_role_grants.py and test_role_grant_admin.py,
account change events in test_account_events.py.

The first test is the attack from the issue, replayed through the admin's pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.models import RoleGrant, User
from accounts.roles import Role
from accounts.services_grants import RoleGrantDenied
from audit.models import AuditEvent
from disclosures.exceptions import SeparationOfDutiesViolation
from disclosures.models import LegalRequest
from disclosures.selectors import review as review_selectors
from disclosures.services import review
from tests.accounts.helpers import (
    approve_grant,
    denials,
    fresh,
    group_pk,
    now,
    request_grant,
    roles_of,
    user_change_data,
)
from tests.utils import login_verified

pytestmark = pytest.mark.django_db


PASSWORD = "correct-horse-42"


def shown(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def vote(legal_request: LegalRequest, actor: User) -> Any:
    return review.request_approve(
        request_id=legal_request.pk,
        actor=actor,
        scope_hash=review_selectors.live_scope(legal_request).scope_hash,
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
