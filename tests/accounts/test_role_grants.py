"""
Privileged role grants through the services: a second administrator approves, nobody grants
themself, revoking is immediate, and concurrent decisions decide once.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from accounts.grant_errors import RoleGrantDenied, RoleGrantError, StepUpRequired
from accounts.models import RoleGrant
from accounts.roles import SUPERUSER, Role
from accounts.services_grants import (
    role_grant_cancel,
    role_grant_refuse,
    role_revoke,
)
from audit.models import AuditEvent
from tests.accounts.helpers import (
    actions_about,
    approve_grant,
    denials,
    now,
    request_grant,
    roles_of,
)
from tests.utils import race, race_errors, race_outcomes, requires_postgres

pytestmark = pytest.mark.django_db


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
