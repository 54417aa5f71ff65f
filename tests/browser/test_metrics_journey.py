"""A senior opens the team metrics, reads a chart and its table, changes the period and
downloads a chart's CSV (real Chromium)."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.models import User
from moderation.services import claims, decisions
from tests.browser.axe import blocking_violations, describe
from tests.browser.helpers import nav_open
from tests.moderation.factories import make_case, violation


def test_senior_reads_the_charts_and_downloads_a_csv(senior_login, live_server):
    page = senior_login
    sofia = User.objects.get(username="sofia")
    case = make_case(category="spam")
    claims.case_claim(case_id=case.pk, actor=sofia)
    decisions.case_decide(case_id=case.pk, actor=sofia, decision=violation())

    nav_open(page, "Team metrics")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team metrics")
    moderators = page.locator("#metrics-decisions-moderator")
    expect(moderators.get_by_role("img", name="Decisions per moderator")).to_be_visible()
    row = moderators.get_by_role("row").filter(has=page.get_by_role("rowheader", name="sofia"))
    expect(row.get_by_role("cell")).to_have_text("1")
    expect(page.locator("#metrics-period")).to_contain_text("30 days")
    violations = blocking_violations(page)
    assert not violations, describe(violations)

    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#metrics-period")).to_contain_text("7 days")

    with page.expect_download() as info:
        moderators.get_by_role("link", name="Download CSV: Decisions per moderator").click()
    download = info.value
    assert download.suggested_filename.startswith("team-metrics-decisions-moderator-")
    with open(download.path(), encoding="utf-8", newline="") as handle:
        assert handle.read() == "Moderator,Decisions\r\nsofia,1\r\n"
