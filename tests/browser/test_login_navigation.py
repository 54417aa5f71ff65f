"""Each demo user signs in through the real login page and sees the navigation of its role."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.helpers import second_step

# The top bar as each role sees it: plain links, and menus (▸) that gather two or more tools.
EXPECTED = {
    "moderator": ["Dashboard", "Moderation", "Automation"],
    "senior": ["Dashboard", "Moderation", "Appeals", "Automation", "Team", "Search policy"],
    "legal": [
        "Dashboard",
        "Transparency (moderation)",
        "Legal requests",
        "Escalated cases",
        "Subscriber data",
        "Transparency",
    ],
    "approver": [
        "Dashboard",
        "Legal requests",
        "Approvals",
        "Escalated cases",
        "Subscriber data",
        "Transparency",
    ],
    "approver2": [
        "Dashboard",
        "Legal requests",
        "Approvals",
        "Escalated cases",
        "Subscriber data",
        "Transparency",
    ],
    "auditor": ["Dashboard", "Transparency", "Audit trail"],
    "admin": ["Dashboard", "Team metrics", "Audit trail", "Administration"],
}
# What each menu holds, by role.
MENUS = {
    "moderator": {"Automation": ["Near-duplicates", "Detectors", "Automation review", "Models"]},
    "senior": {
        "Automation": [
            "Hash banks",
            "Near-duplicates",
            "Detectors",
            "Automation review",
            "Models",
        ],
        "Team": [
            "Exposure",
            "Reporters",
            "Reply templates",
            "Transparency (moderation)",
            "Team metrics",
        ],
    },
}
# Their roles require a second factor; the demo gives them an authenticator app.
TWO_STEPS = {"legal", "approver", "approver2", "auditor", "admin"}


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0)


@pytest.mark.parametrize("username", list(EXPECTED))
def test_demo_user_logs_in_and_sees_role_navigation(demo, live_server, page: Page, username):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/accounts/login/?next=/")

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if username in TWO_STEPS:
        second_step(page, username)

    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator(":scope > ul > li > a, :scope > ul > li > details > summary")).to_have_text(
        EXPECTED[username]
    )
    for menu, entries in MENUS.get(username, {}).items():
        nav.locator("summary", has_text=menu).click()
        expect(nav.locator("details[open] a")).to_have_text(entries)
        page.keyboard.press("Escape")  # closes it and gives the focus back to its button
        expect(nav.locator("details[open]")).to_have_count(0)
        expect(nav.locator("summary", has_text=menu)).to_be_focused()


def test_wrong_password_stays_on_login_with_a_message(demo, live_server, page: Page):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("legal")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_auditor_filters_the_trail_with_htmx(demo, live_server, page: Page):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("auditor")
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_step(page, "auditor")
    page.get_by_role("link", name="Audit trail").first.click()

    expect(page.locator("#event-table tbody tr").first).to_be_visible()
    page.get_by_label("Action").fill("user.staff_changed")
    page.get_by_role("button", name="Filter").click()

    rows = page.locator("#event-table tbody tr")
    expect(rows).to_have_count(1)
    # The label for people; the code stays one hover away (its title).
    expect(rows.first).to_contain_text("User staff flag changed")
    expect(rows.first.locator('[title="user.staff_changed"]')).to_have_count(1)
    assert "action=user.staff_changed" in page.url
