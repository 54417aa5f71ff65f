"""
French in real Chromium: the switcher on the login page turns the interface French, the choice
survives signing in, and the moderator's screens read in French; switching back restores English.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from tests.moderation.factories import make_case

PASSWORD = "browser-pass-123"


@pytest.fixture
def moderator_with_a_case(transactional_db):
    services.user_create(username="mina", password=PASSWORD, roles=[Role.MODERATOR])
    return make_case(category="spam", subject__text="Achetez des abonnés pas chers")


def test_the_interface_in_french_from_the_login_page_on(
    moderator_with_a_case, live_server, page: Page
):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Nom d'utilisateur").fill("mina")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("link", name="Tableau de bord").first).to_be_visible()
    page.goto(f"{live_server.url}/moderation/cases/{moderator_with_a_case.pk}/")
    expect(page.get_by_role("button", name="Prendre en charge")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Claim")).to_be_visible()
