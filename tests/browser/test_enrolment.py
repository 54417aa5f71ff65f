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


def test_a_new_account_starts_from_its_one_time_link_and_then_enrols_a_second_factor(
    transactional_db, live_server, page: Page
):
    """Nobody but the owner knows the password: they set it on the link's page."""
    from accounts.enrolment import Purpose, enrolment_link_issue

    owner = services.user_create(username="lena", password=None, roles=(Role.LEGAL_OFFICER,))
    token = enrolment_link_issue(user=owner, actor=None, purpose=Purpose.ENROL)
    base = live_server.url
    referers: list[str] = []
    page.on("request", lambda r: referers.append(r.headers.get("referer", "")))

    page.goto(f"{base}/accounts/enrol/{token}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Set your password")
    page.get_by_label("New password", exact=True).fill("a-long-enough-passphrase-7")
    page.get_by_label("New password again").fill("a-long-enough-passphrase-7")
    page.get_by_role("button", name="Set password").click()

    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill("a-long-enough-passphrase-7")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    assert not any(token in referer for referer in referers)

    page.goto(f"{base}/accounts/enrol/{token}/")  # spent
    page.get_by_label("New password", exact=True).fill("another-long-passphrase-8")
    page.get_by_label("New password again").fill("another-long-passphrase-8")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("This link cannot be used")
    assert AuditEvent.objects.filter(action="user.enrolment_link_used", actor=owner).exists()
