"""
Passkeys in real Chromium, with a virtual authenticator (Chrome DevTools' WebAuthn domain):
an approver registers one, signs in with it as the second step, and confirms a sensitive
step with it alone.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Page, expect

from accounts.roles import Role
from audit.models import AuditEvent
from tests.browser.helpers import age_step_up, second_step
from tests.utils import authenticator_for

PASSWORD = "correct-horse-42"


@pytest.fixture
def approver(transactional_db, settings, live_server):
    # WebAuthn binds a credential to the page's origin: the live server's, on localhost.
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    from accounts import services

    user = services.user_create(username="anton", password=PASSWORD, roles=(Role.LEGAL_APPROVER,))
    authenticator_for(user)
    return user


@pytest.fixture
def authenticator(page: Page):
    """A platform authenticator that always finds the user present and verified (PIN/biometric)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")


def sign_in_with_password(page: Page, base: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("anton")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_register_a_passkey_then_sign_in_and_step_up_with_it(
    approver, authenticator, live_server, page: Page
):
    base = live_server.url
    sign_in_with_password(page, base)
    second_step(page, "anton")  # the authenticator app, for this first time

    page.goto(base + "/accounts/two-step/")
    expect(page.get_by_role("note")).to_contain_text("a passkey is strongly recommended")
    page.get_by_role("button", name="Add a passkey").click()

    expect(page.locator("tr[data-device-kind=passkey]")).to_have_count(1)
    credential = WebAuthnCredential.objects.get(user=approver)
    registered = AuditEvent.objects.get(action="mfa.passkey_registered")
    assert registered.data == {"device_id": credential.pk}
    cdp, authenticator_id = authenticator
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(stored["credentials"]) == 1

    # Next sign-in: the passkey answers the second step.
    sign_in_with_password(page, base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    verified = AuditEvent.objects.filter(action="auth.second_factor_verified").latest("pk")
    assert verified.data == {"factor": "passkey", "device_id": credential.pk}

    # A sensitive step later on: the passkey alone confirms it.
    age_step_up(page)
    page.goto(base + "/accounts/confirm/?next=/legal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page).to_have_url(base + "/legal/")
    credential.refresh_from_db()
    assert credential.last_used_at is not None
    assert credential.sign_count >= 0
    assert get_user_model().objects.get(pk=approver.pk).is_active
