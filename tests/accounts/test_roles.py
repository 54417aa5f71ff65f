from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import navigation, services
from accounts.roles import Role, role_permissions
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


# What each role may do, frozen: every app grants its own part (its roles module), and the
# groups built from all of them must hold exactly this.
EXPECTED_PERMISSIONS = {
    Role.MODERATOR: {
        "moderation.triage_cases",
        "moderation.decide_cases",
        "moderation.write_notes",
        "signals.view_detectors",
        "signals.review_automated_actions",
    },
    Role.SENIOR_MODERATOR: {
        "moderation.triage_cases",
        "moderation.decide_cases",
        "moderation.handle_escalations",
        "moderation.decide_appeals",
        "moderation.bulk_decide",
        "moderation.view_moderation_stats",
        "moderation.view_original_media",
        "moderation.mute_reporters",
        "moderation.write_notes",
        "moderation.manage_reply_templates",
        "moderation.publish_transparency_report",
        "signals.view_hash_banks",
        "signals.manage_hash_banks",
        "signals.view_detectors",
        "signals.manage_detectors",
        "signals.review_automated_actions",
        "signals.train_models",
        "search_policy.view_search_policy",
        "search_policy.manage_search_policy",
    },
    Role.LEGAL_OFFICER: {
        "disclosures.view_requests",
        "disclosures.view_transparency_report",
        "moderation.view_legal_escalations",
        "moderation.view_original_media",
        "moderation.publish_transparency_report",
        "disclosures.prepare_requests",
        "disclosures.release_packages",
        "disclosures.manage_authorities",
        "disclosures.unmask_pii",
    },
    Role.LEGAL_APPROVER: {
        "disclosures.view_requests",
        "disclosures.view_transparency_report",
        "moderation.view_legal_escalations",
        "disclosures.approve_requests",
        "disclosures.unmask_pii",
    },
    Role.AUDITOR: {
        "audit.view_audit_trail",
        "audit.verify_audit_trail",
        "disclosures.view_transparency_report",
    },
    Role.ADMINISTRATOR: {
        "accounts.manage_roles",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_apitoken",
        "accounts.revoke_apitoken",
        "auth.view_group",
        "auth.view_permission",
        "audit.view_auditevent",
        "audit.view_audit_trail",
    },
}


def test_the_apps_grant_each_role_exactly_its_permissions():
    assert role_permissions() == EXPECTED_PERMISSIONS


@pytest.mark.parametrize("role", list(Role))
def test_every_role_group_holds_exactly_its_permissions(role):
    group = Group.objects.get(name=role.value)

    actual = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert actual == EXPECTED_PERMISSIONS[role]


def test_the_six_roles_exist():
    names = set(Group.objects.values_list("name", flat=True))
    assert {r.value for r in Role} <= names
    assert len(Role) == 6


# What moderators see of the automatic tools: groups, detectors, models, the review sample.
MODERATOR_SIGNALS = {"signals:groups", "signals:detectors", "signals:reviews", "signals:models"}
# The navigation each role must see, and must not see (by data-nav name).
EXPECTED_NAV = {
    Role.MODERATOR: {"dashboard", "moderation:home", *MODERATOR_SIGNALS},
    Role.SENIOR_MODERATOR: {
        "dashboard",
        "moderation:home",
        "moderation:appeals",
        "signals:banks",
        "moderation:exposure",
        "moderation:reporters_muted",
        "moderation:reply_templates",
        "moderation:transparency",
        "moderation:metrics",
        "search_policy:home",
        *MODERATOR_SIGNALS,
    },
    Role.LEGAL_OFFICER: {
        "dashboard",
        "moderation:transparency",
        "disclosures:home",
        "moderation:legal_escalations",
        "disclosures:subscribers",
        "disclosures:transparency",
    },
    Role.LEGAL_APPROVER: {
        "dashboard",
        "disclosures:home",
        "disclosures:approvals",
        "moderation:legal_escalations",
        "disclosures:subscribers",
        "disclosures:transparency",
    },
    Role.AUDITOR: {"dashboard", "audit:events", "disclosures:transparency"},
    Role.ADMINISTRATOR: {"dashboard", "moderation:metrics", "audit:events", "admin:index"},
}


def test_the_apps_navigation_entries_come_in_one_order():
    entries = [(item.url_name, str(item.label)) for item in navigation.entries()]

    assert entries == [
        ("dashboard", "Dashboard"),
        ("moderation:home", "Moderation"),
        ("moderation:appeals", "Appeals"),
        ("signals:banks", "Hash banks"),
        ("signals:groups", "Near-duplicates"),
        ("moderation:exposure", "Exposure"),
        ("signals:detectors", "Detectors"),
        ("signals:reviews", "Automation review"),
        ("signals:models", "Models"),
        ("moderation:reporters_muted", "Reporters"),
        ("moderation:reply_templates", "Reply templates"),
        ("moderation:transparency", "Transparency (moderation)"),
        ("moderation:metrics", "Team metrics"),
        ("search_policy:home", "Search policy"),
        ("disclosures:home", "Legal requests"),
        ("disclosures:approvals", "Approvals"),
        ("moderation:legal_escalations", "Escalated cases"),
        ("disclosures:subscribers", "Subscriber data"),
        ("disclosures:transparency", "Transparency"),
        ("audit:events", "Audit trail"),
        ("admin:index", "Administration"),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_navigation_shows_only_what_the_role_allows(role, make_user, client_for):
    client = client_for(make_user(role))

    response = client.get(reverse("dashboard"))

    shown = {item["name"] for item in response.context["nav_items"]}
    assert shown == EXPECTED_NAV[role]
    for item in shown:
        assert f'data-nav="{item}"'.encode() in response.content


def test_several_roles_see_the_union_of_their_navigation(make_user, client_for):
    client = client_for(make_user(Role.MODERATOR, Role.AUDITOR))

    shown = {i["name"] for i in client.get(reverse("dashboard")).context["nav_items"]}

    assert shown == {
        "dashboard",
        "moderation:home",
        *MODERATOR_SIGNALS,
        "audit:events",
        "disclosures:transparency",
    }


@pytest.mark.parametrize(
    ("url_name", "allowed", "refused"),
    [
        ("moderation:home", Role.MODERATOR, Role.LEGAL_OFFICER),
        ("disclosures:home", Role.LEGAL_APPROVER, Role.MODERATOR),
        ("audit:events", Role.AUDITOR, Role.SENIOR_MODERATOR),
        ("admin:index", Role.ADMINISTRATOR, Role.AUDITOR),
    ],
)
def test_section_pages_check_the_role(url_name, allowed, refused, make_user, client_for):
    assert client_for(make_user(allowed)).get(reverse(url_name)).status_code == 200
    response = client_for(make_user(refused)).get(reverse(url_name))
    assert response.status_code in {302, 403}
    if response.status_code == 302:  # the admin sends non-staff to its own login
        assert "/login/" in response["Location"]


def test_administrator_role_makes_staff_and_losing_it_unmakes(make_user):
    user = make_user(Role.ADMINISTRATOR)
    assert user.is_staff

    user = services.user_set_roles(user=user, roles=[Role.AUDITOR])

    assert not user.is_staff
    actions = list(
        AuditEvent.objects.filter(target_id=str(user.pk), target_type="accounts.user")
        .order_by("id")
        .values_list("action", "data")
    )
    assert ("user.roles_changed", {"removed": ["Administrator"]}) in actions
    assert ("user.roles_changed", {"added": ["Auditor"]}) in actions
    assert ("user.staff_changed", {"is_staff": False}) in actions


def test_role_change_through_the_group_side_is_audited(make_user):
    user = make_user()
    group = Group.objects.get(name=Role.LEGAL_APPROVER.value)

    group.user_set.add(user)

    assert AuditEvent.objects.filter(
        action="user.roles_changed", target_id=str(user.pk), data={"added": ["Legal approver"]}
    ).exists()


def test_unknown_role_creates_nothing():
    with pytest.raises(ValueError, match="Pope"):
        services.user_create(username="x", password="long-password-1", roles=["Pope"])
    assert not AuditEvent.objects.filter(action="user.created").exists()


def test_only_the_most_specific_navigation_item_is_highlighted(make_user, client_for):
    client = client_for(make_user(Role.SENIOR_MODERATOR))

    items = client.get(reverse("moderation:appeals")).context["nav_items"]

    assert [i["name"] for i in items if i["active"]] == ["moderation:appeals"]


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.SENIOR_MODERATOR])
@pytest.mark.parametrize("url_name", ["disclosures:home", "audit:events", "admin:index"])
def test_moderator_roles_cannot_reach_legal_or_auditor_screens(
    role, url_name, make_user, client_for
):
    response = client_for(make_user(role)).get(reverse(url_name))

    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert "/login/" in response["Location"]


def test_moderators_cannot_see_the_legal_escalation_list(make_user, client_for):
    client = client_for(make_user(Role.MODERATOR))
    assert client.get(reverse("moderation:legal_escalations")).status_code == 403
