"""
A user in Tokyo picks their browser's time zone on the preferences page (reached from the
Account menu); pages then show times there, in French as day/month/year.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from accounts import services
from accounts.roles import Role
from moderation.models import Reporter

PASSWORD = "browser-pass-123"


@pytest.fixture
def senior_with_a_muted_reporter(transactional_db):
    senior = services.user_create(username="sena", password=PASSWORD, roles=[Role.SENIOR_MODERATOR])
    Reporter.objects.create(
        platform_id="tz-r",
        muted_at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
        muted_by=senior,
        mute_reason="bad faith",
    )
    return senior


def test_the_browsers_zone_is_chosen_and_used(
    senior_with_a_muted_reporter, live_server, browser: Browser
):
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    page.get_by_label("Nom d'utilisateur").fill("sena")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("footer")).to_contain_text("Heures affichées en UTC.")

    page.locator("summary", has_text="Compte").click()
    page.get_by_role("link", name="Préférences").click()
    page.get_by_role("button", name="Utiliser le fuseau horaire de mon navigateur").click()
    expect(page.get_by_label("Fuseau horaire")).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_role("status")).to_contain_text("Asia/Tokyo")
    page.goto(live_server.url + "/moderation/reporters/muted/")
    # 23:30 UTC on 1 December is 08:30 on 2 December in Tokyo.
    expect(page.locator("#muted-table")).to_contain_text("02/12/2026 08:30")
    expect(page.locator("footer")).to_contain_text("Heures affichées en Asia/Tokyo.")
    context.close()
