"""The governance screens: who may open and change what, step-ups, errors, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from signals.governance.engine import auto_actions_consider
from signals.models import AutoActionRule, AutomatedAction, Detector
from tests.signals.governance.helpers import PLATFORM_KEY, rule, scored_case, set_mode
from tests.signals.helpers import bank
from tests.utils import set_step_up

pytestmark = pytest.mark.django_db

PAGES = ("signals:detectors", "signals:automation", "signals:reviews")


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="sen")


@pytest.fixture
def senior_client(senior, client_for):
    return set_step_up(client_for(senior), age_seconds=10)


@pytest.mark.parametrize("page", PAGES)
def test_pages_open_for_moderators_and_seniors_only(page, make_user, client_for):
    for role, status in (
        (Role.MODERATOR, 200),
        (Role.SENIOR_MODERATOR, 200),
        (Role.LEGAL_OFFICER, 403),
        (Role.AUDITOR, 403),
    ):
        client = client_for(make_user(role))
        assert client.get(reverse(page)).status_code == status, (page, role)


def test_detectors_page_shows_modes_precision_and_agreement(senior_client, moderator):
    rule(threshold=90, sample_percent=100)
    auto_actions_consider(case_ids=[scored_case(95).pk, scored_case(96).pk])
    first, _second = AutomatedAction.objects.order_by("id")
    AutomatedAction.objects.filter(pk=first.pk).update(review="agree", reviewed_at=first.created_at)
    set_mode("model:spam", "shadow")

    page = senior_client.get(reverse("signals:detectors")).content.decode()

    assert PLATFORM_KEY in page
    assert "model:spam" in page
    assert "1 of 1 reviewed" in page
    assert "100 %" in page
    assert "Change mode of platform:spam-score" in page


def test_moderators_see_the_detectors_without_the_mode_forms(moderator_client):
    scored_case(50)
    page = moderator_client.get(reverse("signals:detectors")).content.decode()
    assert PLATFORM_KEY in page
    assert "Change mode of" not in page


def test_detectors_page_queries_do_not_grow(senior_client):
    bank("KNOWN_SPAM")
    scored_case(50)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        senior_client.get(reverse("signals:detectors"))
    for i in range(8):
        bank(f"BANK_{i}")
        set_mode(f"model:cat{i}", "live")
        scored_case(60 + i, name=f"platform-{i}")
    with CaptureQueriesContext(connection) as large:
        senior_client.get(reverse("signals:detectors"))
    assert len(large.captured_queries) == len(small.captured_queries)


def _mode_post(client, **fields):
    data = {
        "key": "model:spam",
        "expected_mode": "shadow",
        "mode": "live",
        "reason": "Precision holds.",
        **fields,
    }
    return client.post(reverse("signals:detector_mode"), data)


def test_mode_change_through_the_page(senior_client, senior):
    response = _mode_post(senior_client)
    assert response.status_code == 302
    assert response.url == reverse("signals:detectors")
    assert Detector.objects.get(key="model:spam").mode == "live"
    assert AuditEvent.objects.get(action="detector.mode_changed").actor == senior


def test_mode_change_without_a_fresh_step_up_redirects_and_changes_nothing(senior_client):
    set_step_up(senior_client, age_seconds=3600)
    response = _mode_post(senior_client)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:reauth"))
    assert "next=%2Fsignals%2Fdetectors%2F" in response.url
    assert not Detector.objects.exists()


def test_mode_change_by_a_moderator_is_forbidden(moderator_client):
    set_step_up(moderator_client, age_seconds=10)
    assert _mode_post(moderator_client).status_code == 403
    assert not Detector.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": ""}, "Say why the mode changes."),
        ({"expected_mode": "live"}, "Someone changed this detector"),
        ({"mode": "auto"}, "Select a valid choice"),
        ({"key": "model:nope"}, "There is no such detector."),
    ],
)
def test_bad_mode_changes_show_why_and_change_nothing(senior_client, fields, message):
    response = _mode_post(senior_client, **fields)
    assert response.status_code == 302
    page = senior_client.get(response.url).content.decode()
    assert message in page.replace("&#x27;", "'")
    assert not Detector.objects.exists()


def _rule_post(client, category_id, **fields):
    prefix = f"rule-{category_id}"
    data = {"category": str(category_id)}
    values = {
        "enabled": "on",
        "threshold": "95",
        "actions": ["remove_content"],
        "sample_percent": "20",
    }
    values.update(fields)
    for name, value in values.items():
        if value is not None:
            data[f"{prefix}-{name}"] = value
    return client.post(reverse("signals:automation_rule"), data)


def _spam_id():
    from moderation.models import Category

    return Category.objects.get(code="spam").pk


def test_a_senior_enables_a_rule(senior_client, senior):
    response = _rule_post(senior_client, _spam_id())
    assert response.status_code == 302
    saved = AutoActionRule.objects.get(category_id=_spam_id())
    assert (saved.enabled, saved.threshold, saved.actions, saved.sample_percent) == (
        True,
        95,
        ["remove_content"],
        20,
    )
    event = AuditEvent.objects.get(action="automation.rule_changed")
    assert event.actor == senior
    assert event.data["changes"]["enabled"] == [False, True]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"threshold": "101"}, "Give a score between 0 and 100."),
        ({"threshold": "-1"}, "Give a score between 0 and 100."),
        ({"threshold": "abc"}, "Give a score between 0 and 100."),
        ({"sample_percent": "150"}, "Give a share between 0 and 100 per cent."),
        ({"actions": ["suspend_account"]}, "is not an automatic action"),
        ({"actions": None}, "Choose at least one action before switching the rule on."),
    ],
)
def test_bad_rules_are_refused_with_a_clear_error(senior_client, fields, message):
    response = _rule_post(senior_client, _spam_id(), **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AutoActionRule.objects.exists()
    assert not AuditEvent.objects.filter(action="automation.rule_changed").exists()


def test_rule_change_needs_a_fresh_step_up_and_the_permission(senior_client, moderator_client):
    set_step_up(senior_client, age_seconds=3600)
    response = _rule_post(senior_client, _spam_id())
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:reauth"))
    set_step_up(moderator_client, age_seconds=10)
    assert _rule_post(moderator_client, _spam_id()).status_code == 403
    assert not AutoActionRule.objects.exists()


def test_rule_for_an_unknown_category_is_not_found(senior_client):
    assert _rule_post(senior_client, 999_999).status_code == 404


def _sampled_actions(n):
    rule(threshold=90, sample_percent=100)
    cases = [scored_case(95) for _ in range(n)]
    auto_actions_consider(case_ids=[c.pk for c in cases])
    return list(AutomatedAction.objects.order_by("id"))


def test_review_queue_lists_sampled_unreviewed_oldest_first_and_pages(moderator_client, settings):
    from signals.governance import selectors

    actions = _sampled_actions(3)
    settings_size = selectors.REVIEW_PAGE_SIZE
    selectors.REVIEW_PAGE_SIZE = 2
    try:
        page = moderator_client.get(reverse("signals:reviews"))
        items = page.context["items"]
        assert [a.pk for a in items] == [actions[0].pk, actions[1].pk]
        assert page.context["next_cursor"]
        rest = moderator_client.get(
            reverse("signals:reviews") + f"?cursor={page.context['next_cursor']}"
        )
        assert [a.pk for a in rest.context["items"]] == [actions[2].pk]
        assert rest.context["next_cursor"] == ""
        # A cursor the page did not write is ignored: the first page again.
        odd = moderator_client.get(reverse("signals:reviews") + "?cursor=abc")
        assert odd.status_code == 200
        assert [a.pk for a in odd.context["items"]] == [
            actions[0].pk,
            actions[1].pk,
        ]
    finally:
        selectors.REVIEW_PAGE_SIZE = settings_size


def test_reviewing_removes_the_item_and_is_audited(moderator_client, moderator):
    first, second = _sampled_actions(2)
    response = moderator_client.post(
        reverse("signals:review", args=[first.pk]), {"verdict": "agree"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.review, first.reviewed_by) == ("agree", moderator)
    event = AuditEvent.objects.get(action="automation.reviewed")
    assert event.data["review"] == "agree"
    page = moderator_client.get(reverse("signals:reviews"))
    assert [a.pk for a in page.context["items"]] == [second.pk]


def test_disagreeing_needs_a_note(moderator_client):
    [action] = _sampled_actions(1)
    response = moderator_client.post(
        reverse("signals:review", args=[action.pk]), {"verdict": "disagree"}
    )
    assert response.status_code == 302
    assert (
        "Say what the right decision would have been"
        in moderator_client.get(response.url).content.decode()
    )
    action.refresh_from_db()
    assert action.review == ""
    moderator_client.post(
        reverse("signals:review", args=[action.pk]),
        {"verdict": "disagree", "note": "Satire, not spam."},
    )
    action.refresh_from_db()
    assert (action.review, action.review_note) == ("disagree", "Satire, not spam.")


def test_a_second_review_does_not_overwrite_the_first(moderator_client, senior_client, moderator):
    [action] = _sampled_actions(1)
    moderator_client.post(reverse("signals:review", args=[action.pk]), {"verdict": "agree"})
    response = senior_client.post(
        reverse("signals:review", args=[action.pk]), {"verdict": "disagree", "note": "No."}
    )
    assert "already reviewed" in senior_client.get(response.url).content.decode()
    action.refresh_from_db()
    assert (action.review, action.reviewed_by) == ("agree", moderator)
    assert AuditEvent.objects.filter(action="automation.reviewed").count() == 1


def test_an_unsampled_action_cannot_be_reviewed(moderator_client):
    rule(threshold=90, sample_percent=0)
    auto_actions_consider(case_ids=[scored_case(95).pk])
    action = AutomatedAction.objects.get()
    response = moderator_client.post(
        reverse("signals:review", args=[action.pk]), {"verdict": "agree"}
    )
    assert response.status_code == 404
    assert AutomatedAction.objects.get().review == ""


def test_review_needs_the_permission(make_user, client_for):
    [action] = _sampled_actions(1)
    legal = client_for(make_user(Role.LEGAL_OFFICER))
    assert (
        legal.post(reverse("signals:review", args=[action.pk]), {"verdict": "agree"}).status_code
        == 403
    )


def test_review_next_goes_only_to_this_site(moderator_client):
    [action] = _sampled_actions(1)
    response = moderator_client.post(
        reverse("signals:review", args=[action.pk]),
        {"verdict": "agree", "next": "https://evil.example/"},
    )
    assert response.url == reverse("signals:reviews")


def test_review_queue_queries_do_not_grow(moderator_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _sampled_actions(2)
    with CaptureQueriesContext(connection) as small:
        moderator_client.get(reverse("signals:reviews"))
    rule(threshold=90, sample_percent=100)
    auto_actions_consider(case_ids=[scored_case(95).pk for _ in range(6)])
    with CaptureQueriesContext(connection) as large:
        response = moderator_client.get(reverse("signals:reviews"))
    assert len(response.context["items"]) == 8
    assert len(large.captured_queries) == len(small.captured_queries)


def test_automation_page_queries_do_not_grow(senior_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        senior_client.get(reverse("signals:automation"))
    for code in ("spam", "harassment", "scams_fraud"):
        rule(code, threshold=90)
    with CaptureQueriesContext(connection) as large:
        senior_client.get(reverse("signals:automation"))
    assert len(large.captured_queries) == len(small.captured_queries)


# --- The case panel ---------------------------------------------------------------------------


def test_case_panel_on_an_automatic_decision_offers_the_review(moderator_client):
    [action] = _sampled_actions(1)
    page = moderator_client.get(reverse("moderation:case", args=[action.case_id])).content.decode()
    assert "Decided by an automatic action" in page
    assert PLATFORM_KEY in page
    assert "95 ≥ 90" in page
    assert f"Save review of case {action.case_id}" in page

    moderator_client.post(
        reverse("signals:review", args=[action.pk]),
        {"verdict": "agree", "next": reverse("moderation:case", args=[action.case_id])},
    )
    page = moderator_client.get(reverse("moderation:case", args=[action.case_id])).content.decode()
    assert "Agrees" in page
    assert f"Save review of case {action.case_id}" not in page


def test_case_panel_marks_shadow_signals(moderator_client):
    set_mode(PLATFORM_KEY, "shadow")
    case = scored_case(95)
    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert "Detectors behind the signals" in page
    assert "shadow: not used" in page


def test_case_panel_absent_without_signals(moderator_client):
    from tests.moderation.factories import make_case

    case = make_case()
    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert 'id="automation-panel"' not in page
