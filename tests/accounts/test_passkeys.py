"""
Passkey endpoints without a browser: who may start which ceremony, and bad input.
(The full ceremonies run in Chromium with a virtual authenticator: tests/browser/test_passkeys.py.)
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import reauth
from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.helpers import flush_failed_signins
from tests.utils import login_verified, set_step_up

pytestmark = pytest.mark.django_db

REGISTER_BEGIN = reverse("otp_webauthn:credential-registration-begin")
REGISTER_COMPLETE = reverse("otp_webauthn:credential-registration-complete")
VERIFY_BEGIN = reverse("otp_webauthn:credential-authentication-begin")
VERIFY_COMPLETE = reverse("otp_webauthn:credential-authentication-complete")
PASSWORD = "correct-horse-42"


def a_passkey(user, credential_id: bytes = b"credential-1") -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Security key",
        credential_id=credential_id,
        public_key=b"\xa5\x01\x02",
        sign_count=0,
        confirmed=True,
    )


def fresh(client: Client) -> Client:
    return set_step_up(client, age_seconds=0)


def stale(client: Client) -> Client:
    return set_step_up(client, age_seconds=None)


def post_json(client: Client, url: str, body: object = None) -> object:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def approver(make_user):
    return make_user(Role.LEGAL_APPROVER, username="anton")


def test_nobody_signs_in_with_a_passkey_alone(client):
    response = post_json(client, VERIFY_BEGIN)

    assert response.status_code == 302  # to the login page: a passkey is a second step only
    assert response["Location"].startswith(reverse("accounts:login"))


def test_registering_needs_a_fresh_step_up(approver):
    client = stale(login_verified(Client(), approver))

    response = post_json(client, REGISTER_BEGIN)

    assert response.status_code == 403
    assert response.json()["code"] == "step_up_required"
    assert "otp_webauthn_register_state" not in client.session


def test_registration_options_name_this_site_and_the_user(approver, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    client = fresh(login_verified(Client(), approver))

    options = post_json(client, REGISTER_BEGIN).json()

    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"] == "anton"
    assert options["challenge"]
    assert "otp_webauthn_register_state" in client.session


def test_verification_asks_the_authenticator_to_verify_the_user(approver):
    a_passkey(approver)
    client = login_verified(Client(), approver)

    options = post_json(client, VERIFY_BEGIN).json()

    assert options["userVerification"] == "required"
    assert len(options["allowCredentials"]) == 1


def test_completing_without_a_begun_ceremony_is_refused_and_audited(approver):
    a_passkey(approver)
    client = Client()
    client.force_login(approver)  # password given, second step still owed

    response = post_json(client, VERIFY_COMPLETE, {"id": "x"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_state"
    assert "otp_device_id" not in client.session
    flush_failed_signins()
    event = AuditEvent.objects.get(action="auth.second_factor_failed")
    assert (event.actor, event.data["count"]) == (approver, 1)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=40),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
        max_leaves=12,
    )
)
def test_a_forged_assertion_never_verifies_and_never_fails_with_a_server_error(approver, body):
    if not WebAuthnCredential.objects.exists():
        a_passkey(approver)
    client = Client(raise_request_exception=False)
    client.force_login(approver)
    post_json(client, VERIFY_BEGIN)

    response = post_json(client, VERIFY_COMPLETE, body)

    assert 400 <= response.status_code < 500, response.content
    assert "detail" in response.json()
    assert "otp_device_id" not in client.session


def test_malformed_json_is_a_clear_400(approver):
    client = fresh(login_verified(Client(), approver))

    response = client.post(REGISTER_COMPLETE, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] in {"malformed_request", "invalid_state"}
    assert not WebAuthnCredential.objects.exists()
    assert not AuditEvent.objects.filter(action="mfa.passkey_registered").exists()


def test_a_passkey_only_user_confirms_with_the_passkey_not_a_code(approver):
    passkey = a_passkey(approver)
    client = Client()
    client.force_login(approver)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = passkey.persistent_id  # signed in with the passkey
    session.save()
    stale(client)

    page = client.get(reverse("accounts:reauth")).content.decode()
    refused = client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/"})

    assert "Use your passkey" in page
    assert 'name="code"' not in page
    assert "Confirm with your passkey." in refused.content.decode()
    assert not reauth.is_fresh(client.session.get(reauth.SESSION_KEY))


def test_removing_a_passkey_needs_a_step_up_and_is_audited(approver):
    passkey = a_passkey(approver)
    client = stale(login_verified(Client(), approver))
    url = reverse("accounts:mfa_device_remove", args=["passkey", passkey.pk])

    assert client.post(url)["Location"].startswith(reverse("accounts:reauth"))
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    fresh(client)
    assert client.post(url)["Location"] == reverse("accounts:mfa")

    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    event = AuditEvent.objects.get(action="mfa.device_removed")
    assert event.data == {"kind": "passkey", "device_id": passkey.pk}


def test_the_overview_lists_passkeys_and_recommends_one_to_approvers(approver, make_user):
    client = fresh(login_verified(Client(), approver))
    assert (
        "a passkey is strongly recommended" in client.get(reverse("accounts:mfa")).content.decode()
    )

    a_passkey(approver)
    page = client.get(reverse("accounts:mfa")).content.decode()
    assert 'data-device-kind="passkey"' in page
    assert "a passkey is strongly recommended" not in page

    moderator = make_user(Role.MODERATOR)
    other = login_verified(Client(), moderator).get(reverse("accounts:mfa"))
    assert other.status_code == 200
    assert "strongly recommended" not in other.content.decode()
