"""
Session loss in the middle of work, in real Chromium: a moderator types a note and a decision
explanation, their session ends, they press "Add note"; the login page appears as a page (not
inside the notes panel), and after signing in they are back on the case with what they typed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from moderation.models import CaseNote
from moderation.services.claims import case_claim
from tests.moderation.factories import make_case

PASSWORD = "browser-pass-123"
NOTE = "Same wallet address as in the scam wave last week."
EXPLANATION = "Your message advertised a fraudulent investment scheme."


@pytest.fixture
def claimed_case(transactional_db):
    mina = services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    case = make_case(category="spam", subject__text="Double your coins in 24 hours!")
    case_claim(case_id=case.pk, actor=mina)
    return case


def sign_in(page: Page) -> None:
    page.get_by_label("Username").fill("mina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_lost_session_keeps_the_draft_and_returns_to_the_case(
    claimed_case, live_server, page: Page
):
    case_url = f"{live_server.url}/moderation/cases/{claimed_case.pk}/"
    page.goto(live_server.url + "/accounts/login/")
    sign_in(page)
    page.goto(case_url)
    notes = page.locator("#case-notes")
    notes.get_by_label("Internal note").fill(NOTE)
    page.get_by_label("Explanation for the user").fill(EXPLANATION)

    page.context.clear_cookies(name="sessionid")  # the session ends under the user
    notes.get_by_role("button", name="Add note").click()

    # The login page as a page, never pasted into the notes panel.
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert "/accounts/login/" in page.url
    expect(page.locator("#case-notes")).to_have_count(0)
    assert not CaseNote.objects.exists()

    sign_in(page)

    expect(page).to_have_url(case_url)
    expect(page.locator("[data-notice=draft-restored]")).to_be_visible()
    expect(page.locator("#case-notes").get_by_label("Internal note")).to_have_value(NOTE)
    expect(page.get_by_label("Explanation for the user")).to_have_value(EXPLANATION)

    # Sent now, the note is stored once; a later visit shows no old draft again.
    page.locator("#case-notes").get_by_role("button", name="Add note").click()
    expect(page.locator("#case-notes .note")).to_have_count(1)
    assert CaseNote.objects.get().text == NOTE
    page.goto(case_url)
    expect(page.locator("[data-notice=draft-restored]")).to_have_count(0)


def test_signing_out_forgets_the_drafts(claimed_case, live_server, page: Page):
    case_url = f"{live_server.url}/moderation/cases/{claimed_case.pk}/"
    page.goto(live_server.url + "/accounts/login/")
    sign_in(page)
    page.goto(case_url)
    page.locator("#case-notes").get_by_label("Internal note").fill(NOTE)

    page.get_by_role("button", name="Sign out").click()
    page.goto(case_url)  # login page with next=the case
    sign_in(page)

    expect(page).to_have_url(case_url)
    expect(page.locator("[data-notice=draft-restored]")).to_have_count(0)
    expect(page.locator("#case-notes").get_by_label("Internal note")).to_have_value("")
