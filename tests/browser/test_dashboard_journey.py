"""
The dashboard as a to-do list, in Chromium: a moderator sees the cases they hold and opens
them from the count; a legal officer sees the emergency waiting and follows the link to the
request list.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from moderation.models import Case
from tests.browser.conftest import BROWSER_PASSWORD
from tests.browser.helpers import second_step
from tests.disclosures.factories import make_request
from tests.moderation.factories import make_case
from tests.utils import authenticator_for


def _login(page: Page, base: str, username: str, *, second_factor: bool = False) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(BROWSER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if second_factor:
        second_step(page, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


@pytest.fixture
def people(transactional_db):
    moderator = services.user_create(
        username="mona", password=BROWSER_PASSWORD, roles=[Role.MODERATOR]
    )
    legal = services.user_create(
        username="lena", password=BROWSER_PASSWORD, roles=[Role.LEGAL_OFFICER]
    )
    authenticator_for(legal)  # the legal role signs in with a second factor
    return {"moderator": moderator, "legal": legal}


def test_moderator_and_legal_officer_follow_their_counts(people, live_server, page: Page):
    held = []
    for _ in range(2):
        case = make_case()
        Case.objects.filter(pk=case.pk).update(
            status=Case.Status.CLAIMED,
            claimed_by=people["moderator"],
            claim_expires_at=timezone.now() + timedelta(hours=1),
        )
        held.append(case)
    make_case()  # open, in the queue
    request = make_request(created_by=people["legal"], emergency=True, violation_cases=False)

    _login(page, live_server.url, "mona")
    card = page.locator('[data-widget="moderation"]')
    expect(card.locator('[data-item="my-claimed"] [data-count]')).to_have_text("2")
    expect(card.locator('[data-item="my-queue"] [data-count]')).to_have_text("1")
    expect(page.locator('[data-widget="disclosures-legal"]')).to_have_count(0)
    card.locator('[data-item="my-claimed"] a').click()
    for case in held:
        expect(page.get_by_role("link", name=f"#{case.pk}", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"status=claimed"))

    _login(page, live_server.url, "lena", second_factor=True)
    card = page.locator('[data-widget="disclosures-legal"]')
    expect(card.locator('[data-item="emergencies"] [data-count]')).to_have_text("1")
    expect(card.locator('[data-item="emergencies"]')).to_contain_text("left")
    expect(page.locator('[data-widget="moderation"]')).to_have_count(0)
    card.locator('[data-item="emergencies"] a').click()
    expect(page.get_by_role("link", name=request.reference)).to_be_visible()
