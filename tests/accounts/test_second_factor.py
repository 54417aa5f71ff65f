"""The second step of signing in: mandatory for the legal, audit and admin roles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa, reauth, second_factor
from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.helpers import flush_failed_signins
from tests.routes import all_routes
from tests.security.access_matrix import LOGIN
from tests.security.matrix_urls import concrete_url, expected_row, route_key
from tests.utils import authenticator_for, current_code, login_verified

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"
VERIFY = reverse("accounts:verify")
ENROL = reverse("accounts:mfa")


@pytest.fixture(autouse=True)
def no_throttle(settings):
    """django-otp slows down retries after a failure; these tests retry at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the password step failed"
    return client


def is_verified(client: Client) -> bool:
    return "otp_device_id" in client.session


# --- Users with a second factor must answer it after the password --------------------------------


@pytest.mark.parametrize(
    "role",
    [Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, Role.AUDITOR, Role.ADMINISTRATOR, Role.MODERATOR],
)
def test_after_the_password_every_page_waits_for_the_second_factor(make_user, role):
    user = make_user(role, username="ines")
    authenticator_for(user)
    client = sign_in("ines")

    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2F"
    assert not is_verified(client)


def test_the_right_code_verifies_the_session_counts_as_a_step_up_and_is_audited(make_user):
    user = make_user(Role.LEGAL_APPROVER, username="ines")
    device = authenticator_for(user)
    client = sign_in("ines")

    response = client.post(VERIFY, {"code": current_code(user), "next": "/legal/"})

    assert response["Location"] == "/legal/"
    assert is_verified(client)
    assert reauth.is_fresh(client.session[reauth.SESSION_KEY])
    assert client.get(reverse("disclosures:home")).status_code == 200
    event = AuditEvent.objects.get(action="auth.second_factor_verified")
    assert (event.actor, event.data) == (user, {"factor": "totp", "device_id": device.pk})


@pytest.mark.parametrize("code", ["000000", "", "12", "x" * 500, "１２３４５６", "' OR 1=1 --"])
def test_a_wrong_code_is_refused_with_a_message_and_audited_without_the_code(make_user, code):
    user = make_user(Role.LEGAL_OFFICER, username="ines")
    authenticator_for(user)
    client = sign_in("ines")

    response = client.post(VERIFY, {"code": code})

    assert response.status_code == 400
    assert "That code is not correct" in response.content.decode()
    assert not is_verified(client)
    assert client.get(reverse("dashboard"))["Location"].startswith(VERIFY)
    flush_failed_signins()
    event = AuditEvent.objects.get(action="auth.second_factor_failed")
    assert (event.actor, event.data["count"]) == (user, 1)
    # A fixed shape, with no room for what was typed.
    assert set(event.data) == {
        "count",
        "window_start",
        "last_at",
        "scope",
        "username_digest",
        "known_user",
    }
    if len(code) > 4:
        assert code not in str(event.data)


def test_a_recovery_code_verifies_once(make_user):
    user = make_user(Role.AUDITOR, username="ines")
    authenticator_for(user)
    code = mfa.recovery_codes_generate(user=user)[0]

    first = sign_in("ines")
    assert first.post(VERIFY, {"code": code})["Location"] == "/"
    again = sign_in("ines")
    assert again.post(VERIFY, {"code": code}).status_code == 400


def test_an_unsafe_next_falls_back_to_the_dashboard(make_user):
    user = make_user(Role.LEGAL_OFFICER, username="ines")
    authenticator_for(user)
    client = sign_in("ines")

    response = client.post(VERIFY, {"code": current_code(user), "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_htmx_requests_are_sent_to_verify_with_a_client_redirect(make_user):
    authenticator_for(make_user(Role.LEGAL_OFFICER, username="ines"))
    client = sign_in("ines")

    response = client.get(reverse("disclosures:home"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(VERIFY)


def test_the_password_alone_cannot_add_a_second_factor(make_user):
    """A stolen password must not let the thief enrol their own authenticator or passkey."""
    authenticator_for(make_user(Role.LEGAL_APPROVER, username="ines"))
    client = sign_in("ines")

    totp = client.post(reverse("accounts:mfa_totp_add"))
    passkey = client.post(reverse("otp_webauthn:credential-registration-begin"))
    codes = client.post(reverse("accounts:mfa_recovery_codes"))

    for response in (totp, passkey, codes):
        assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="mfa.").exists()


def test_every_page_behind_the_login_waits_for_the_second_step(make_user, objects):
    """Walks the URL resolver: nothing but the second step itself opens before it."""
    user = make_user(Role.ADMINISTRATOR, username="ines", password=PASSWORD)
    authenticator_for(user)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    open_before = {
        "accounts:verify",
        "accounts:logout",  # POST only: 405
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
    }

    wrong = {}
    for route, name in all_routes():
        key = route_key(route, name)
        row = expected_row(route, name)
        if row is None or row["anonymous"] != LOGIN or key in open_before:
            continue
        response = client.get(concrete_url(route, name, objects))
        if response.status_code != 302 or not response["Location"].startswith(VERIFY):
            wrong[key] = response.status_code
    for key in open_before:
        response = client.get(reverse(key))
        if response.status_code == 302 and response["Location"].startswith(VERIFY):
            wrong[key] = "sent to verify"

    assert not wrong


# --- Roles that require a second factor must enrol one -----------------------------------------


@pytest.mark.parametrize(
    "role", [Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, Role.AUDITOR, Role.ADMINISTRATOR]
)
def test_a_required_role_without_a_factor_can_only_enrol(make_user, role):
    make_user(role, username="ines")
    client = sign_in("ines")

    dashboard = client.get(reverse("dashboard"))

    assert dashboard["Location"] == f"{ENROL}?next=%2F"
    page = client.get(dashboard["Location"]).content.decode()
    assert "Your role requires two-step verification" in page
    assert "Make new recovery codes" not in page  # codes alone are not enough


def test_enrolling_right_after_login_verifies_the_session(make_user):
    user = make_user(Role.LEGAL_OFFICER, username="ines")
    client = sign_in("ines")

    # The password was typed a moment ago: no second confirmation before enrolling.
    started = client.post(reverse("accounts:mfa_totp_add"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert started["Location"] == reverse("accounts:mfa_totp_confirm", args=[device.pk])
    confirmed = client.post(started["Location"], {"code": current_code(user, device)})

    assert confirmed["Location"] == ENROL
    assert is_verified(client)
    assert client.get(reverse("disclosures:home")).status_code == 200
    assert AuditEvent.objects.filter(action="mfa.totp_enrolled", actor=user).exists()


def test_a_superuser_without_a_role_must_enrol(django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = sign_in("root")

    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_moderators_may_go_without_unless_the_setting_says_otherwise(make_user, settings):
    make_user(Role.MODERATOR, username="mo")
    assert sign_in("mo").get(reverse("dashboard")).status_code == 200

    settings.MFA_REQUIRED_ROLES = [*settings.MFA_REQUIRED_ROLES, Role.MODERATOR.value]
    assert sign_in("mo").get(reverse("dashboard"))["Location"].startswith(ENROL)


def test_a_reset_by_an_administrator_sends_the_user_back_to_enrolment(
    make_user, administrator, settings
):
    settings.MFA_REQUIRED_ROLES = [Role.MODERATOR.value]
    moderator = make_user(Role.MODERATOR)
    client = login_verified(Client(), moderator)
    assert client.get(reverse("moderation:home")).status_code == 200

    mfa.mfa_reset(user=moderator, actor=administrator)

    assert client.get(reverse("moderation:home"))["Location"].startswith(ENROL)


def test_a_reset_of_a_privileged_account_also_ends_its_roles_and_session(make_user, administrator):
    """Recovery by one administrator never hands over a working legal account."""
    legal = make_user(Role.LEGAL_OFFICER)
    client = login_verified(Client(), legal)
    assert client.get(reverse("disclosures:home")).status_code == 200

    mfa.mfa_reset(user=legal, actor=administrator)

    legal.refresh_from_db()
    assert legal.role_names == []
    assert client.get(reverse("disclosures:home"))["Location"].startswith(reverse("accounts:login"))


def test_the_requirement_follows_the_setting(make_user, settings):
    moderator = make_user(Role.MODERATOR)
    legal = make_user(Role.LEGAL_OFFICER)
    assert second_factor.required_for(legal)
    assert not second_factor.required_for(moderator)

    settings.MFA_REQUIRED_ROLES = [Role.MODERATOR.value]
    assert second_factor.required_for(moderator)
    assert not second_factor.required_for(legal)


@pytest.mark.parametrize("view", ["config", "qrcode"])
@pytest.mark.parametrize("exists", [True, False])
def test_no_one_reads_an_authenticator_key_in_the_admin(django_user_model, view, exists):
    root = django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = login_verified(Client(raise_request_exception=False), root)
    device_id = authenticator_for(root).pk if exists else 987_654

    response = client.get(reverse(f"admin:otp_totp_totpdevice_{view}", args=[device_id]))

    assert response.status_code == 403


def test_the_admin_user_list_shows_each_users_second_factors_without_a_query_per_row(
    make_user, administrator, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login_verified(Client(), administrator)
    url = reverse("admin:accounts_user_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    for n in range(8):
        authenticator_for(make_user(Role.LEGAL_OFFICER, username=f"officer{n}"))
    make_user(Role.MODERATOR, username="no-factor")

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()

    assert page.count('<td class="field-two_step">app</td>') == 9  # officers + administrator
    assert '<td class="field-two_step">none</td>' in page
