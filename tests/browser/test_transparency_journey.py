"""A senior generates, checks and publishes the moderation transparency report; an anonymous
visitor then reads it on the public page (real Chromium)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from moderation.models import Report, TransparencyReport
from tests.browser.helpers import nav_open
from tests.moderation.factories import make_case


def test_generate_publish_and_read_publicly(senior_login, live_server, browser):
    page = senior_login
    case = make_case(category="spam")
    yesterday = timezone.now().date() - timedelta(days=1)
    Report.objects.filter(case=case).update(received_at=timezone.now() - timedelta(days=2))

    nav_open(page, "Transparency (moderation)")
    page.get_by_label("From").fill("2026-06-30")
    page.get_by_label("To (inclusive)").fill("2026-01-01")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("alert")).to_contain_text("ends before it starts")
    assert not TransparencyReport.objects.exists()

    page.get_by_label("From").fill((yesterday - timedelta(days=7)).isoformat())
    page.get_by_label("To (inclusive)").fill(yesterday.isoformat())
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="4_notices")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick the box")
    page.get_by_label("I checked these figures").check()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("never changes")).to_be_visible()
    assert TransparencyReport.objects.get().published_at is not None

    anonymous = browser.new_context().new_page()  # no session at all
    anonymous.goto(live_server.url + "/transparency/moderation/")
    anonymous.get_by_role("link", name=f"/{yesterday.isoformat()}").click()
    expect(anonymous.get_by_role("heading", name="4_notices")).to_be_visible()
    total = anonymous.get_by_role("row").filter(
        has=anonymous.get_by_role("cell", name="TOTAL", exact=True)
    )
    expect(total.get_by_role("cell").nth(2)).to_have_text("1")  # notices received
