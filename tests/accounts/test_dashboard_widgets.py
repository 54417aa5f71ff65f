"""
The dashboard as a to-do list (issue 17): each role sees its own widgets and no one else's,
the counts match the data, the query count does not grow with it, and the recent activity
reads as sentences rather than event codes.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

import audit
from accounts import dashboard
from accounts.dashboard import TodoItem, Widget
from accounts.lockout import lockout_record
from accounts.roles import Role
from audit.models import AuditVerification
from disclosures.models import Approval, LegalRequest, PiiUnmask, Scope
from moderation.models import Appeal, BulkJob, Case, Category, ModeratorProfile
from moderation.services.decisions import case_decide
from signals.models import Detector, ModelVersion
from tests.accounts.helpers import request_grant
from tests.disclosures.factories import make_account, make_request
from tests.moderation.factories import make_case, submit_appeal, violation

WIDGETS = {
    "moderation",
    "moderation-senior",
    "signals-detectors",
    "disclosures-legal",
    "disclosures-approvals",
    "disclosures-unmasking",
    "audit-integrity",
    "administration",
}
EXPECTED = {
    Role.MODERATOR: {"moderation"},
    Role.SENIOR_MODERATOR: {"moderation", "moderation-senior", "signals-detectors"},
    Role.LEGAL_OFFICER: {"disclosures-legal"},
    Role.LEGAL_APPROVER: {"disclosures-approvals"},
    Role.AUDITOR: {"audit-integrity", "disclosures-unmasking"},
    Role.ADMINISTRATOR: {"administration"},
}
_seq = itertools.count(1)


def _widgets(response) -> dict[str, dict[str, TodoItem]]:
    return {
        shown.widget.key: {item.key: item for item in shown.items}
        for shown in response.context["widgets"]
    }


def _item(client, widget: str, key: str) -> TodoItem:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return _widgets(response)[widget][key]


def _claim(case: Case, user) -> None:
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLAIMED,
        claimed_by=user,
        claim_expires_at=timezone.now() + timedelta(minutes=30),
    )


def _case(**fields) -> Case:
    case = make_case()
    if fields:
        Case.objects.filter(pk=case.pk).update(**fields)
        case.refresh_from_db()
    return case


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_dashboard_shows_each_role_its_widgets_and_no_others(role, make_user, client_for):
    response = client_for(make_user(role)).get(reverse("dashboard"))

    shown = set(_widgets(response))
    assert shown == EXPECTED[role]
    page = response.content.decode()
    for key in WIDGETS:
        assert (f'data-widget="{key}"' in page) == (key in shown)


def test_dashboard_shows_a_user_without_a_role_no_widget(make_user, client_for):
    response = client_for(make_user()).get(reverse("dashboard"))

    assert response.context["widgets"] == []
    assert "data-widget=" not in response.content.decode()


def test_widget_without_a_rule_is_shown_to_nobody(make_user):
    superuser = make_user(Role.ADMINISTRATOR)
    superuser.is_superuser = True
    unruled = Widget(key="t", title="t", order=1, items=lambda user: [])

    assert not unruled.allowed(superuser)


def test_todo_item_refuses_an_unknown_tone():
    with pytest.raises(ValueError, match="tone"):
        TodoItem(label="x", count=1, tone="loud")


def test_widget_with_nothing_waiting_says_so(moderator, moderator_client):
    response = moderator_client.get(reverse("dashboard"))

    card = response.content.decode().split('data-widget="moderation"')[1].split("</section>")[0]
    assert "Nothing waiting" in card
    assert all(item.count == 0 for item in _widgets(response)["moderation"].values())


# --- moderator --------------------------------------------------------------------------------


def test_moderator_counts_only_the_cases_they_hold(moderator, make_user, moderator_client):
    other = make_user(Role.MODERATOR)
    for _ in range(3):
        _claim(make_case(), moderator)
    _claim(make_case(), other)

    item = _item(moderator_client, "moderation", "my-claimed")

    assert item.count == 3
    assert item.url == reverse("moderation:home") + "?status=claimed"


def test_moderator_with_one_case_is_linked_to_it(moderator, moderator_client):
    case = make_case()
    _claim(case, moderator)

    item = _item(moderator_client, "moderation", "my-claimed")

    assert item.url == reverse("moderation:case", args=[case.pk])


def test_moderator_queue_counts_open_cases_in_their_languages_with_the_oldest_age(
    moderator, moderator_client
):
    ModeratorProfile.objects.create(user=moderator, languages=["fa"])
    oldest = _case(language="fa")
    Case.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(hours=5))
    _case(language="fa")
    _case(language="en")  # not theirs
    _case(language="fa", status=Case.Status.RESOLVED, resolved_at=timezone.now())

    item = _item(moderator_client, "moderation", "my-queue")

    assert item.count == 2
    assert item.age is not None
    assert timedelta(hours=5) <= item.age < timedelta(hours=6)
    assert "language=fa" in item.url
    assert "status=open" in item.url


def test_moderator_overdue_excludes_resolved_and_rolled_up_cases(moderator, moderator_client):
    past = timezone.now() - timedelta(hours=1)
    _case(deadline_at=past)
    claimed = _case(deadline_at=past)
    _claim(claimed, moderator)
    _case(deadline_at=past, status=Case.Status.RESOLVED, resolved_at=timezone.now())
    group = _case()
    _case(deadline_at=past, rollup_parent=group)  # triaged in its group's case
    _case(deadline_at=timezone.now() + timedelta(days=1))  # not overdue

    response = moderator_client.get(reverse("dashboard"))
    items = _widgets(response)["moderation"]

    assert items["overdue"].count == 2
    assert items["overdue"].tone == "danger"
    assert "1 still unclaimed" in items["overdue"].detail
    assert items["my-queue"].count == 3  # the open ones: overdue, not yet due, and the group


def test_moderator_queue_never_counts_rolled_up_cases(moderator, moderator_client):
    group = _case()
    for _ in range(3):
        _case(rollup_parent=group)

    assert _item(moderator_client, "moderation", "my-queue").count == 1


# --- senior moderator -------------------------------------------------------------------------


def test_senior_sees_escalations_appeals_and_running_bulk_jobs(make_user, client_for):
    senior = make_user(Role.SENIOR_MODERATOR)
    past = timezone.now() - timedelta(hours=1)
    _case(status=Case.Status.ESCALATED, escalation=Case.Escalation.SENIOR, deadline_at=past)
    _case(status=Case.Status.ESCALATED, escalation=Case.Escalation.SENIOR)
    _case()  # open, not escalated
    decided = make_case()
    _claim(decided, senior)
    decision = case_decide(case_id=decided.pk, actor=senior, decision=violation())
    submit_appeal(decision)
    BulkJob.objects.create(created_by=senior, case_ids=[], decision_template={})
    BulkJob.objects.create(
        created_by=senior, case_ids=[], decision_template={}, status=BulkJob.Status.FINISHED
    )

    items = _widgets(client_for(senior).get(reverse("dashboard")))["moderation-senior"]

    assert items["escalations"].count == 2
    assert items["escalations"].detail == "1 overdue"
    assert items["appeals"].count == Appeal.objects.filter(status="pending").count() == 1
    assert items["appeals"].url == reverse("moderation:appeals") + "?status=pending"
    assert items["bulk-running"].count == 1


def test_senior_sees_detectors_in_shadow_and_candidate_models(make_user, client_for):
    senior = make_user(Role.SENIOR_MODERATOR)
    Detector.objects.create(key="platform:toxicity", kind="platform", mode="shadow")
    Detector.objects.create(key="platform:spam", kind="platform", mode="live")
    spam, hate = Category.objects.order_by("id")[:2]
    ModelVersion.objects.create(category=spam, version=1, status="active", file_name="a")
    ModelVersion.objects.create(category=spam, version=2, file_name="b")  # candidate
    # Active and explicitly live: not in shadow.
    ModelVersion.objects.create(category=hate, version=1, status="active", file_name="c")
    Detector.objects.create(key=f"model:{hate.code}", kind="model", mode="live")

    items = _widgets(client_for(senior).get(reverse("dashboard")))["signals-detectors"]

    # The stored shadow row, and the active classifier without a row (shadow by default).
    assert items["detectors-shadow"].count == 2
    assert items["model-candidates"].count == 1


# --- legal officer and approver ---------------------------------------------------------------


@pytest.fixture
def legal(make_user):
    return make_user(Role.LEGAL_OFFICER, username="louise")


def test_legal_officer_sees_emergencies_deadlines_and_their_step(legal, client_for):
    now = timezone.now()
    make_request(
        created_by=legal,
        emergency=True,
        violation_cases=False,
        status=LegalRequest.Status.IN_REVIEW,
    )
    make_request(created_by=legal, violation_cases=False, deadline_at=now + timedelta(hours=3))
    make_request(created_by=legal, violation_cases=False, deadline_at=now - timedelta(hours=1))
    make_request(
        created_by=legal,
        violation_cases=False,
        status=LegalRequest.Status.APPROVED,
        deadline_at=now + timedelta(days=9),
    )
    make_request(  # finished: never counted
        created_by=legal,
        emergency=True,
        violation_cases=False,
        status=LegalRequest.Status.CLOSED,
        deadline_at=now + timedelta(hours=1),
    )

    items = _widgets(client_for(legal).get(reverse("dashboard")))["disclosures-legal"]

    assert items["emergencies"].count == 1
    assert items["emergencies"].tone == "danger"
    assert "left" in items["emergencies"].detail
    assert items["deadlines-24h"].count == 2  # the emergency and the one due in 3 hours
    assert "1 already overdue" in items["deadlines-24h"].detail
    assert items["at-my-step"].count == 4  # three to review, one to release
    assert items["at-my-step"].detail == "3 to review, 1 approved to release"


def _pending(request: LegalRequest, prepared_by) -> Scope:
    LegalRequest.objects.filter(pk=request.pk).update(status=LegalRequest.Status.PENDING_APPROVAL)
    return Scope.objects.create(
        request=request,
        prepared_by=prepared_by,
        canonical_json="{}",
        scope_hash=f"{next(_seq):064d}",
    )


def test_approver_waiting_list_leaves_out_what_they_prepared_registered_or_voted(
    legal, make_user, client_for, settings
):
    settings.ALLOW_PREPARER_AND_APPROVER = True
    approver = make_user(Role.LEGAL_APPROVER)
    dual = make_user(Role.LEGAL_OFFICER, Role.LEGAL_APPROVER)
    waiting = make_request(created_by=legal, violation_cases=False)
    scope = _pending(waiting, legal)
    Scope.objects.filter(pk=scope.pk).update(created_at=timezone.now() - timedelta(hours=7))
    _pending(make_request(created_by=legal, violation_cases=False), dual)  # prepared by dual
    _pending(make_request(created_by=dual, violation_cases=False), legal)  # registered by dual
    voted = make_request(created_by=legal, violation_cases=False)
    voted_scope = _pending(voted, legal)
    for user in (approver, dual):
        Approval.objects.create(
            request=voted,
            scope=voted_scope,
            scope_hash=voted_scope.scope_hash,
            approver=user,
            decision=Approval.Decision.APPROVED,
        )

    for_approver = _item(client_for(approver), "disclosures-approvals", "waiting-for-vote")
    for_dual = _item(client_for(dual), "disclosures-approvals", "waiting-for-vote")

    assert for_approver.count == 3  # everything but the one they voted on
    assert for_dual.count == 1  # only the request they neither prepared, registered nor voted
    assert for_dual.url == reverse("disclosures:request_review", args=[waiting.pk])
    assert for_dual.age is not None
    assert for_dual.age >= timedelta(hours=7)


# --- auditor and administrator ----------------------------------------------------------------


def test_auditor_sees_integrity_unsealed_events_and_unmask_volume(auditor, auditor_client, legal):
    AuditVerification.objects.create(
        status=AuditVerification.Status.FAILED, finished_at=timezone.now()
    )
    account = make_account()
    PiiUnmask.objects.create(user=legal, account=account, field="phone")
    PiiUnmask.objects.create(user=legal, account=account, field="ip", refused=True)

    response = auditor_client.get(reverse("dashboard"))
    audit_items = _widgets(response)["audit-integrity"]
    unmask = _widgets(response)["disclosures-unmasking"]["unmask-volume"]

    assert audit_items["integrity"].tone == "danger"
    assert "Tampering detected" in str(audit_items["integrity"].label)
    assert audit_items["unsealed"].count >= 1  # unsealed: the sealer has not run
    assert unmask.count == 1
    assert "1 refused" in unmask.detail
    assert 'data-notice="alarms"' in response.content.decode()  # the refusal alarms


def test_administrator_sees_pending_grants_and_locked_accounts(
    administrator, make_user, client_for
):
    second = make_user(Role.ADMINISTRATOR)
    request_grant(second, make_user(), Role.AUDITOR)
    lockout_record(username="eve", ip_address="203.0.113.5", cool_off=timedelta(minutes=15))
    lockout_record(username="", ip_address="203.0.113.6", cool_off=timedelta(minutes=15))

    items = _widgets(client_for(administrator).get(reverse("dashboard")))["administration"]

    assert items["pending-grants"].count == 1
    assert items["locked-accounts"].count == 1
    assert "1 client addresses" in items["locked-accounts"].detail


# --- constant queries -------------------------------------------------------------------------


def _grow(size: int, people: dict) -> None:
    """`size` more of everything each role's widgets count."""
    legal, senior = people["legal"], people["senior"]
    for _ in range(size):
        _claim(make_case(), people["moderator"])
        _case(deadline_at=timezone.now() - timedelta(hours=1))
        _case(status=Case.Status.ESCALATED, escalation=Case.Escalation.SENIOR)
        BulkJob.objects.create(created_by=senior, case_ids=[], decision_template={})
        request = make_request(created_by=legal, violation_cases=False, emergency=True)
        _pending(make_request(created_by=legal, violation_cases=False), legal)
        PiiUnmask.objects.create(user=legal, account=make_account(), field="phone")
        audit.record(action="request.acknowledged", actor=legal, target=request)
        audit.record(action="case.claimed", actor=people["moderator"], target=make_case())


# The most queries each role's dashboard may make, whatever the data (session, user,
# permissions, navigation and widgets). Measured, then pinned.
MAX_QUERIES = {
    "moderator": 11,
    "senior": 16,
    "legal": 12,
    "approver": 10,
    "auditor": 18,
    "administrator": 12,
}


def test_dashboard_query_count_is_constant_per_role(
    make_user, client_for, django_assert_max_num_queries
):
    people = {
        "moderator": make_user(Role.MODERATOR),
        "senior": make_user(Role.SENIOR_MODERATOR),
        "legal": make_user(Role.LEGAL_OFFICER),
        "approver": make_user(Role.LEGAL_APPROVER),
        "auditor": make_user(Role.AUDITOR),
        "administrator": make_user(Role.ADMINISTRATOR),
    }
    clients = {name: client_for(user) for name, user in people.items()}
    for client in clients.values():
        client.get(reverse("dashboard"))  # warm the session
    for size in (1, 6):
        _grow(size, people)
        for name, client in clients.items():
            with django_assert_max_num_queries(MAX_QUERIES[name]):
                assert client.get(reverse("dashboard")).status_code == 200


# --- recent activity --------------------------------------------------------------------------


def test_recent_activity_is_told_in_words_with_a_link_and_no_code(legal, client_for):
    request = make_request(created_by=legal, violation_cases=False)
    audit.record(action="request.acknowledged", actor=legal, target=request)
    audit.record(action="auth.password_changed", actor=legal, target=legal)

    response = client_for(legal).get(reverse("dashboard"))
    page = response.content.decode()
    activity = page.split('data-region="activity"')[1].split("</table>")[0]
    texts = [
        (line.text, line.target.text if line.target else "")
        for line in response.context["recent_activity"]
    ]

    assert ("You acknowledged", f"Legal request {request.reference}") in texts
    assert ("You changed your password", "") in texts  # their own account goes unnamed
    assert (
        f'<a href="{reverse("disclosures:request", args=[request.pk])}">'
        f"Legal request {request.reference}</a>" in activity
    )
    assert 'title="request.acknowledged"' in activity  # the code stays, out of the text
    assert ">request.acknowledged<" not in activity
    assert "<code>" not in activity


def test_recent_activity_without_a_phrase_uses_the_label_not_the_code(legal, client_for):
    client = client_for(legal)  # signing in is recorded too
    audit.record(action="keys.rotated", actor=legal)

    lines = client.get(reverse("dashboard")).context["recent_activity"]

    assert lines[0].text == "You: encryption keys rotated"
    assert lines[0].target is None


def test_recent_activity_does_not_link_what_the_viewer_may_not_open(moderator, make_user):
    case = make_case()
    lines = dashboard.activity_lines(
        [
            audit.record(action="case.claimed", actor=moderator, target=case),
        ],
        viewer=make_user(),  # no role: cannot open cases
    )

    assert lines[0].target is not None
    assert lines[0].target.text == f"Case #{case.pk}"
    assert lines[0].target.url == ""


def test_recent_activity_names_another_person_by_username(administrator, make_user):
    colleague = make_user(username="bob")
    event = audit.record(action="user.roles_changed", actor=administrator, target=colleague)

    (line,) = dashboard.activity_lines([event], viewer=administrator)

    assert line.text == "You changed the roles of"
    assert line.target is not None
    assert line.target.text == "Staff account bob"
