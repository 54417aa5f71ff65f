"""A senior moderator in real Chromium: from a case to its reporter, muted with a reason."""

from __future__ import annotations

from playwright.sync_api import expect

from audit.models import AuditEvent
from moderation.models import Reporter
from tests.browser.helpers import nav_open
from tests.moderation.factories import make_case


def test_mute_a_reporter_from_the_case_page_and_find_them_in_the_muted_list(
    senior_login, live_server
):
    page = senior_login
    case = make_case(reporter_id="bad-faith-1", description="Report everything he posts!")
    reporter = Reporter.objects.get(platform_id="bad-faith-1")
    page.goto(f"{live_server.url}/moderation/cases/{case.pk}/")

    page.get_by_role("link", name="mute…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reporter.pseudonym)
    page.get_by_label("Why (no personal data)").fill("Forty false reports against one account.")
    page.get_by_role("button", name="Mute reporter").click()

    expect(page.locator("#mute-reason")).to_have_text("Forty false reports against one account.")
    expect(page.get_by_role("button", name="Unmute")).to_be_visible()
    nav_open(page, "Reporters")
    expect(page.get_by_role("heading", level=1)).to_have_text("Muted reporters")
    row = page.locator("#muted-table tbody tr").first
    expect(row).to_contain_text(reporter.pseudonym)
    expect(row).to_contain_text("Forty false reports against one account.")
    reporter.refresh_from_db()
    assert reporter.muted_at is not None
    assert AuditEvent.objects.filter(action="reporter.muted", target_id=str(reporter.pk)).exists()


def test_a_mute_without_a_reason_is_refused_on_the_page(senior_login, live_server):
    page = senior_login
    case = make_case(reporter_id="bad-faith-2")
    page.goto(f"{live_server.url}/moderation/cases/{case.pk}/")
    page.get_by_role("link", name="mute…").click()

    # The browser's own check (required) is bypassed, as a crafted request would.
    page.locator("#mute-reason-input").evaluate("el => el.removeAttribute('required')")
    page.get_by_role("button", name="Mute reporter").click()

    expect(page.get_by_role("alert")).to_contain_text("a reason is required")
    assert Reporter.objects.get(platform_id="bad-faith-2").muted_at is None
