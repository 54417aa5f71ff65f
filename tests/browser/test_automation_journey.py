"""
Governed automation in real Chromium: a senior moderator switches a detector from shadow to
live (confirming it is them first), switches on the spam rule, and a moderator reviews the
automatic action it took.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from moderation.models import Case, Decision
from signals.models import AutoActionRule, AutomatedAction, Detector
from tests.browser.helpers import age_step_up, code_for, nav_open, second_step
from tests.moderation.factories import make_case
from tests.utils import authenticator_for

PASSWORD = "browser-pass-123"
DETECTOR = "platform:spam-score"


def _login(page: Page, base: str, username: str, *, verify: bool) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if verify:
        second_step(page, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _scored_case(score: int) -> Case:
    return make_case(
        category="spam",
        signals=[{"kind": "classifier", "name": "spam-score", "label": "spam", "score": score}],
    )


@pytest.fixture
def people(transactional_db):
    senior = services.user_create(
        username="sofia", password=PASSWORD, roles=[Role.SENIOR_MODERATOR]
    )
    authenticator_for(senior)  # her sign-in and her confirmations ask for a code
    services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    Detector.objects.create(key=DETECTOR, kind="platform", mode="shadow")


def test_senior_goes_live_enables_a_rule_and_a_moderator_reviews(people, live_server, page: Page):
    base = live_server.url
    _login(page, base, "sofia", verify=True)
    age_step_up(page)  # signed in a while ago: changing a mode asks again

    page.goto(base + "/signals/detectors/")
    row = page.locator(f'tr[data-detector="{DETECTOR}"]')
    expect(row.locator(".detector-mode")).to_have_text("shadow")
    page.get_by_label(f"New mode for {DETECTOR}").select_option("live")
    page.get_by_label(f"Reason for {DETECTOR}").fill("Precision 95 % on 200 decisions.")
    page.get_by_role("button", name=f"Change mode of {DETECTOR}").click()
    # Nothing changed yet: she confirms it is her, and comes back to the page.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm it is you")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authenticator code").fill(code_for("sofia"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Detectors")
    assert Detector.objects.get(key=DETECTOR).mode == "shadow"
    page.get_by_label(f"New mode for {DETECTOR}").select_option("live")
    page.get_by_label(f"Reason for {DETECTOR}").fill("Precision 95 % on 200 decisions.")
    page.get_by_role("button", name=f"Change mode of {DETECTOR}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{DETECTOR} is now Live.")
    expect(row.locator(".detector-mode")).to_have_text("live")

    page.goto(base + "/signals/automation/")
    page.get_by_label("Automatic action on for Spam").check()
    page.get_by_label("Score threshold (0-100) for Spam").fill("90")
    page.get_by_label("Share sampled for review (%) for Spam").fill("100")
    page.get_by_role("button", name="Save the rule for Spam").click()
    # On without an action: refused, with the reason next to the rule, nothing saved.
    expect(page.locator("#rule-spam")).to_contain_text("Choose at least one action")
    assert not AutoActionRule.objects.exists()
    page.locator("#rule-spam").get_by_label("Remove content").check()
    page.get_by_role("button", name="Save the rule for Spam").click()
    expect(page.get_by_role("status")).to_contain_text("Rule saved for Spam.")

    # A report arrives with a live score above the threshold: decided automatically.
    case = _scored_case(96)
    decision = Decision.objects.get(case=case)
    assert decision.origin == Decision.Origin.AUTOMATED
    assert decision.statement.payload["automated_decision"] == "AUTOMATED_DECISION_FULLY"

    _login(page, base, "mina", verify=False)
    nav_open(page, "Automation review")
    item = page.locator(".review-item").filter(has_text=f"Case {case.pk}")
    expect(item).to_contain_text(DETECTOR)
    expect(item).to_contain_text("96 ≥ 90")
    item.get_by_label("Disagree: a person would have decided otherwise").check()
    item.get_by_role("button", name=f"Save review of case {case.pk}").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Say what the right decision would have been"
    )
    item.get_by_label("Agree: the right decision").check()
    item.get_by_role("button", name=f"Save review of case {case.pk}").click()
    expect(page.get_by_role("status")).to_contain_text("Review saved.")
    expect(page.locator("main")).to_contain_text("Nothing to review.")
    assert AutomatedAction.objects.get(case=case).review == "agree"

    page.goto(base + f"/moderation/cases/{case.pk}/")
    expect(page.locator("#automation-panel")).to_contain_text("Decided by an automatic action")
    expect(page.locator("#automation-panel .review-state")).to_contain_text("Agrees (mina)")
    page.goto(base + "/signals/detectors/")
    expect(page.locator(f'tr[data-detector="{DETECTOR}"] .agreement')).to_contain_text("100 %")
