"""
A new legal officer's first sign-in in real Chromium: nothing opens until an authenticator
app is enrolled (with the key read off the page, as a person would type it into the app).
"""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from accounts import services
from accounts.roles import Role
from audit.models import AuditEvent

PASSWORD = "correct-horse-42"


@pytest.fixture
def newcomer(transactional_db):
    return services.user_create(username="noor", password=PASSWORD, roles=(Role.LEGAL_OFFICER,))


def test_first_sign_in_of_a_legal_officer_enrols_an_authenticator(
    newcomer, live_server, page: Page
):
    base = live_server.url
    page.goto(base + "/legal/")
    page.get_by_label("Username").fill("noor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    expect(page.get_by_role("alert")).to_contain_text("Your role requires two-step verification")
    page.goto(base + "/legal/")  # still closed
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")

    page.get_by_role("button", name="Add an authenticator app").click()
    expect(page.locator("figure.qr-code svg")).to_be_visible()
    typed_key = page.locator("code.secret").inner_text().replace(" ", "")
    app = TOTP(b32decode(typed_key + "=" * (-len(typed_key) % 8)))
    page.get_by_label("Code from the app").fill(f"{app.token():06d}")
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator("tr[data-device-kind=totp]")).to_have_count(1)
    page.get_by_role("link", name="Legal requests").first.click()
    expect(page).to_have_url(base + "/legal/")
    assert AuditEvent.objects.filter(action="mfa.totp_enrolled", actor=newcomer).exists()
