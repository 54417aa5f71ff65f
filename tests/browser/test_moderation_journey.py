"""A moderator's main journey in real Chromium: queue, keyboard, claim, reveal, decide."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Case, Statement
from tests.moderation.factories import make_case

PASSWORD = "browser-pass-123"


@pytest.fixture
def queue(transactional_db):
    services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    urgent = make_case(
        category="terrorism",
        subject__media_sha256="cd" * 32,
        subject__media_url="/static/demo/media/sample-2.svg",
        subject__content_type="image",
        subject__text="Propaganda video with a call to violence",
    )
    second = make_case(category="scams_fraud", subject__text="Double your crypto")
    make_case(category="spam")
    return urgent, second


def _login(page: Page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("mina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_keyboard_claim_reveal_and_decide(queue, live_server, page: Page):
    urgent, second = queue
    _login(page, live_server.url)
    page.goto(live_server.url + "/moderation/")

    rows = page.locator("[data-keyboard-list] tbody tr[data-href]")
    expect(rows).to_have_count(3)
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class("is-selected")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class("is-selected")
    page.keyboard.press("?")
    expect(page.locator("#hotkeys-help")).to_be_visible()
    page.keyboard.press("Escape")

    page.keyboard.press("c")  # claims the selected (most urgent) case
    expect(page).to_have_url(f"{live_server.url}/moderation/cases/{urgent.pk}/")
    expect(page.get_by_role("button", name="Release")).to_be_visible()

    figure = page.locator(f"#media-{urgent.reports.get().pk}")
    expect(figure).to_have_class("media media-guarded")
    figure.get_by_role("button", name="Reveal media (recorded)").click()
    expect(page.locator(f"#media-{urgent.reports.get().pk}")).to_have_class("media")
    assert AuditEvent.objects.filter(action="media.revealed").count() == 1

    page.get_by_label("Remove content").check()
    page.get_by_role("button", name="Submit & next").click()

    expect(page).to_have_url(f"{live_server.url}/moderation/cases/{second.pk}/")
    urgent.refresh_from_db()
    assert urgent.status == Case.Status.RESOLVED
    assert Statement.objects.filter(decision__case=urgent).exists()


def test_decision_errors_show_in_place(queue, live_server, page: Page):
    urgent, _ = queue
    _login(page, live_server.url)
    page.goto(live_server.url + "/moderation/")
    page.get_by_role("button", name="Claim next case").click()
    expect(page).to_have_url(f"{live_server.url}/moderation/cases/{urgent.pk}/")

    page.get_by_label("No violation").check()
    page.get_by_label("Label", exact=True).check()
    page.get_by_role("button", name="Submit", exact=True).click()

    expect(page.locator("#decision .field-errors")).to_contain_text("cannot be combined")
    urgent.refresh_from_db()
    assert urgent.status == Case.Status.CLAIMED
