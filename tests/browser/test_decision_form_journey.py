"""
The decision form in real Chromium: fields appear only when their action is ticked, the
countries are a filterable checkbox list (no ctrl-click), keys 1-9 tick actions, the keyboard
help opens with ?, and Ctrl+Enter sends "Submit & next" while typing.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from moderation.models import Case, Decision
from moderation.services.claims import case_claim
from tests.moderation.factories import make_case

PASSWORD = "browser-pass-123"


@pytest.fixture
def claimed_case(transactional_db):
    mina = services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    case = make_case(category="spam", subject__text="Cheap followers, DM me")
    case_claim(case_id=case.pk, actor=mina)
    return case


def test_decide_with_the_keyboard_and_only_the_fields_that_apply(
    claimed_case, live_server, page: Page
):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("mina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/moderation/cases/{claimed_case.pk}/")

    page.keyboard.press("?")
    expect(page.locator("#hotkeys-help")).to_be_visible()
    page.locator("#hotkeys-help").get_by_role("button", name="Close").click()

    countries = page.locator(".when-geo")
    restriction = page.get_by_label("Restriction (days)")
    expect(countries).to_be_hidden()
    expect(restriction).to_be_hidden()

    page.locator("body").click()
    page.keyboard.press("4")  # "Restrict in named countries"
    expect(page.get_by_label("Restrict in named countries")).to_be_checked()
    expect(countries).to_be_visible()
    page.keyboard.press("7")  # "Restrict the account for a duration", focus still on a checkbox
    expect(page.get_by_label("Restrict the account for a duration")).to_be_checked()
    expect(restriction).to_be_visible()

    countries.locator("summary").click()
    countries.get_by_label("Filter the countries").fill("de")
    expect(countries.get_by_label("DE", exact=True)).to_be_visible()
    expect(countries.get_by_label("FR", exact=True)).to_be_hidden()
    countries.get_by_label("DE", exact=True).check()
    expect(countries.locator("[data-chosen]")).to_have_text("(1)")

    restriction.fill("14")
    explanation = page.get_by_label("Explanation for the user")
    explanation.fill("Bulk advertising is not allowed in Germany under local law.")
    explanation.press("Control+Enter")

    expect(page).to_have_url(f"{live_server.url}/moderation/")
    claimed_case.refresh_from_db()
    assert claimed_case.status == Case.Status.RESOLVED
    decision = Decision.objects.get(case=claimed_case)
    assert sorted(decision.actions) == ["geo_restrict", "restrict_account"]
    assert decision.countries == ["DE"]
    assert decision.restrict_days == 14
