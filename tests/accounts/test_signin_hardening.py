"""
Sign-in and step-up hardening (issue 11): one lockout for passwords, codes and step-ups,
keyed on username and client with a limit per client address; failed attempts counted per
window in the trail; the last factor of a required role kept; a new session id after the
second step. Each test is the attacker's or the insider's attempt to get round one of them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import F, Sum
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

import audit
from accounts import auth_failures, mfa, reauth, second_factor, tasks
from accounts.grants import AuthFailureWindow
from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.helpers import flush_failed_signins
from tests.utils import (
    authenticator_for,
    current_code,
    login_verified,
    race,
    race_errors,
    race_outcomes,
    requires_postgres,
    set_step_up,
)

PASSWORD = "correct-horse-42"
LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
CONFIRM = reverse("accounts:reauth")
ATTACKER_IP = "203.0.113.7"
OWNER_IP = "198.51.100.20"


def counted(action: str) -> int:
    return sum(e.data["count"] for e in AuditEvent.objects.filter(action=action))


def login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def password_only(user) -> Client:
    """A session past the password, still owing its second step."""
    client = Client()
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 302, "the password step failed"
    return client


def wrong_code(user) -> str:
    right = int(current_code(user))
    return f"{(right + 500_000) % 1_000_000:06d}"


@pytest.fixture(autouse=True)
def no_throttle(settings):
    """django-otp slows retries after a failure; these tests count failures, not delays."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def staff(make_user):
    user = make_user(Role.LEGAL_OFFICER, username="lena")
    authenticator_for(user)
    return user


# --- Lockout: username and client together, plus a limit per client address ----------------------


@pytest.mark.django_db
def test_a_visitor_elsewhere_hammering_a_username_does_not_lock_its_owner_out(staff):
    attacker = Client(REMOTE_ADDR=ATTACKER_IP)
    for _ in range(12):
        login(attacker, "lena", "guess")

    owner = login(Client(REMOTE_ADDR=OWNER_IP), "lena", PASSWORD)
    attacker_with_the_password = login(attacker, "lena", PASSWORD)

    assert owner.status_code == 302
    assert attacker_with_the_password.status_code == 429


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_escape_the_lock(staff, settings):
    """Behind one proxy, the address is the one the proxy saw, whatever the client claims."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.5")

    def through_proxy(claimed: str, client_ip: str, password: str):
        forwarded = {"HTTP_X_FORWARDED_FOR": f"{claimed}, {client_ip}"}
        return proxy.post(LOGIN, {"username": "lena", "password": password}, **forwarded)

    for n in range(5):
        through_proxy(f"192.0.2.{n}", ATTACKER_IP, "guess")

    assert through_proxy("192.0.2.99", ATTACKER_IP, PASSWORD).status_code == 429
    assert through_proxy(ATTACKER_IP, OWNER_IP, PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_IP}


@pytest.mark.django_db
def test_a_flooding_address_is_refused_whatever_the_username(staff, settings):
    settings.AXES_IP_FAILURE_LIMIT = 10
    flood = Client(REMOTE_ADDR=ATTACKER_IP)
    for n in range(10):
        assert login(flood, f"ghost{n}", "guess").status_code == 200

    refused = [login(flood, f"other{n}", "guess").status_code for n in range(20)]
    right_password_from_there = login(flood, "lena", PASSWORD)
    from_elsewhere = login(Client(REMOTE_ADDR=OWNER_IP), "lena", PASSWORD)

    assert set(refused) == {429}
    assert right_password_from_there.status_code == 429
    assert from_elsewhere.status_code == 302
    # Refused attempts are not stored one row per invented name.
    assert AccessAttempt.objects.filter(ip_address=ATTACKER_IP).count() == 10
    lock = AuditEvent.objects.get(action="auth.locked_out")
    assert (lock.data["scope"], lock.data["username_digest"]) == ("address", "")
    assert lock.ip_address == ATTACKER_IP


@pytest.mark.django_db
def test_a_lock_writes_one_event_however_many_attempts_it_refuses(staff):
    client = Client()
    for _ in range(5 + 20):
        login(client, "lena", "guess")

    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1

    # The lock ends a cool-off after the last refused attempt; the next one is a new lock.
    past = dt.timedelta(minutes=settings.AXES_COOLOFF_TIME * 60 + 1)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - past)
    AuthFailureWindow.objects.filter(kind=auth_failures.LOCKOUT).update(
        window_start=F("window_start") - past, last_at=F("last_at") - past
    )
    for _ in range(5 + 3):
        login(client, "lena", "guess")

    events = AuditEvent.objects.filter(action="auth.locked_out")
    assert events.count() == 2
    assert {e.target_id for e in events} == {str(staff.pk)}
    assert {e.data["scope"] for e in events} == {"account"}


# --- Failed attempts are counted per window, not written one by one ------------------------------


@pytest.mark.django_db
def test_a_burst_of_600_failed_logins_writes_a_handful_of_events_whose_counts_add_up(staff):
    before = AuditEvent.objects.count()
    client = Client()
    for _ in range(600):
        login(client, "lena", "guess")
    flush_failed_signins()

    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.count() <= 3  # one per minute the burst touched
    assert counted("auth.login_failed") == 600
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1
    assert AuditEvent.objects.count() - before <= 4
    event = failed.first()
    assert event.data["username_digest"] == audit.pii_digest("lena")
    assert (event.data["known_user"], event.target_id) == (True, str(staff.pk))
    assert event.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_a_flood_of_invented_usernames_writes_a_bounded_number_of_events(settings):
    settings.AXES_IP_FAILURE_LIMIT = 10
    client = Client(REMOTE_ADDR=ATTACKER_IP)
    for n in range(300):
        login(client, f"name{n}", "guess")
    flush_failed_signins()

    # Ten names before the address was refused, then the address as a whole.
    assert AuditEvent.objects.filter(action="auth.login_failed").count() <= 10 + 2
    assert counted("auth.login_failed") == 300
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1


@pytest.mark.django_db
def test_a_window_is_written_once_and_only_after_it_closed(staff):
    login(Client(), "lena", "guess")
    login(Client(), "lena", "guess")

    assert auth_failures.auth_failures_flush() == 0  # the minute is not over
    assert flush_failed_signins() == 1
    assert flush_failed_signins() == 0
    assert tasks.flush_auth_failures() == 0
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.data["count"] == 2
    assert event.data["scope"] == "account"


@pytest.mark.django_db
def test_the_next_failure_of_a_key_writes_its_closed_window_at_once(staff):
    start = timezone.now()
    later = start + dt.timedelta(seconds=3 * settings.AUTH_FAILURE_WINDOW_SECONDS)
    for moment in (start, start, later):
        auth_failures.auth_failure_record(
            kind="login", username="lena", ip_address="192.0.2.1", user=staff, now=moment
        )

    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.data["count"] == 2
    assert event.ip_address == "192.0.2.1"
    closed = later + dt.timedelta(seconds=settings.AUTH_FAILURE_WINDOW_SECONDS)
    assert auth_failures.auth_failures_flush(until=closed) == 1
    assert counted("auth.login_failed") == 3


@pytest.mark.django_db
def test_a_failure_in_a_window_already_written_goes_to_the_next_one(staff):
    now = timezone.now()
    record = {"kind": "code", "username": "lena", "ip_address": "192.0.2.1", "user": staff}
    auth_failures.auth_failure_record(**record, now=now)
    flush_failed_signins()  # as if this process's clock were a little behind the worker's

    auth_failures.auth_failure_record(**record, now=now)
    window = dt.timedelta(seconds=settings.AUTH_FAILURE_WINDOW_SECONDS)
    auth_failures.auth_failures_flush(until=now + 2 * window)

    assert counted("auth.second_factor_failed") == 2
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").count() == 2


def test_the_flush_runs_every_minute_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-flush-auth-failures"]

    assert entry == {"task": "accounts.tasks.flush_auth_failures", "schedule": 60}


# --- The step-up page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_step_up_answers_alike_whichever_part_is_wrong(staff):
    client = set_step_up(login_verified(Client(), staff), age_seconds=None)
    attempts = [
        {"password": "guess", "code": current_code(staff)},
        {"password": PASSWORD, "code": wrong_code(staff)},
        {"password": "guess", "code": wrong_code(staff)},
    ]

    responses = [client.post(CONFIRM, {**data, "next": "/"}) for data in attempts]

    for response in responses:
        page = response.content.decode()
        assert response.status_code == 200
        assert "The password or the code is not right." in page
        assert "password is not correct" not in page
        assert "code is not correct" not in page
    assert not reauth.is_fresh(client.session.get(reauth.SESSION_KEY))
    flush_failed_signins()
    assert counted("auth.step_up_failed") == 3
    assert not AuditEvent.objects.filter(action="auth.reauth_failed").exists()


@pytest.mark.django_db
def test_wrong_step_up_passwords_count_towards_the_login_lockout(staff):
    """A stolen session guessing the password on the step-up page is locked out and ended."""
    client = set_step_up(login_verified(Client(), staff), age_seconds=None)
    code = current_code(staff)

    statuses = [
        client.post(CONFIRM, {"password": f"guess{n}", "code": code}).status_code for n in range(5)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    assert "_auth_user_id" not in client.session
    assert login(Client(), "lena", PASSWORD).status_code == 429
    assert AuditEvent.objects.filter(action="auth.locked_out", target_id=str(staff.pk)).count() == 1


@pytest.mark.django_db
def test_a_locked_out_user_is_refused_at_the_step_up(staff):
    session = set_step_up(login_verified(Client(), staff), age_seconds=None)
    for _ in range(5):
        login(Client(), "lena", "guess")
    device = TOTPDevice.objects.get(user=staff)

    response = session.post(CONFIRM, {"password": PASSWORD, "code": current_code(staff)})

    assert response.status_code == 429
    assert "_auth_user_id" not in session.session
    device.refresh_from_db()
    assert device.last_t == -1  # the right code was not even tried


# --- Second-factor codes -------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_lockout(staff):
    client = password_only(staff)

    statuses = [client.post(VERIFY, {"code": wrong_code(staff)}).status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 400, 429]
    assert "_auth_user_id" not in client.session
    assert login(Client(), "lena", PASSWORD).status_code == 429
    flush_failed_signins()
    assert counted("auth.second_factor_failed") == 5
    assert counted("auth.login_failed") == 1  # the refused login


@pytest.mark.django_db
def test_a_locked_out_session_cannot_try_a_code(staff):
    client = password_only(staff)
    for _ in range(5):
        login(Client(), "lena", "guess")

    response = client.post(VERIFY, {"code": current_code(staff)})

    assert response.status_code == 429
    assert "otp_device_id" not in client.session
    assert not AuditEvent.objects.filter(action="auth.second_factor_verified").exists()


@pytest.mark.django_db
def test_a_typed_code_is_not_kept_in_the_lockout_records(staff):
    client = password_only(staff)
    code = wrong_code(staff)

    client.post(VERIFY, {"code": code})

    assert code not in str(list(AccessAttempt.objects.values()))


def _parallel_wrong_codes(user, n: int) -> list[int]:
    clients = [password_only(user) for _ in range(n)]
    code = wrong_code(user)
    results = race(*[lambda c=c: c.post(VERIFY, {"code": code}) for c in clients])
    errors = race_errors(results)
    assert errors == []
    return [response.status_code for response in results]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_are_each_counted(staff, settings):
    settings.AXES_FAILURE_LIMIT = 100
    settings.AXES_IP_FAILURE_LIMIT = 100

    statuses = _parallel_wrong_codes(staff, 20)

    assert statuses == [400] * 20
    assert TOTPDevice.objects.get(user=staff).throttling_failure_count == 20
    windows = AuthFailureWindow.objects.filter(kind="code").aggregate(n=Sum("count"))
    assert windows["n"] == 20
    assert AccessAttempt.objects.aggregate(n=Sum("failures_since_start"))["n"] == 20


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_never_get_past_the_lockout(staff):
    statuses = _parallel_wrong_codes(staff, 20)

    assert sorted(statuses) == [400] * 4 + [429] * 16
    # Five codes were tried (the fifth locked); the fifteen others were refused untried.
    assert TOTPDevice.objects.get(user=staff).throttling_failure_count == 5
    windows = AuthFailureWindow.objects.filter(kind="code").aggregate(n=Sum("count"))
    assert windows["n"] == 20
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1


# --- The last factor of a role that requires one -------------------------------------------------


def a_passkey(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Security key",
        credential_id=b"credential-1",
        public_key=b"\xa5\x01\x02",
        sign_count=0,
        confirmed=True,
    )


def remove(client: Client, kind: str, device_id: int):
    return client.post(reverse("accounts:mfa_device_remove", args=[kind, device_id]))


@pytest.mark.django_db
def test_a_required_role_cannot_remove_its_last_factor(staff, administrator):
    client = set_step_up(login_verified(Client(), staff), age_seconds=0)
    device = TOTPDevice.objects.get(user=staff)

    response = remove(client, "totp", device.pk)

    assert response["Location"] == reverse("accounts:mfa")
    page = client.get(response["Location"]).content.decode()
    assert "ask an administrator to reset" in page
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not AuditEvent.objects.filter(action="mfa.device_removed").exists()
    with pytest.raises(mfa.LastFactorRequired):
        mfa.device_remove(user=staff, kind="totp", device_id=device.pk)

    mfa.mfa_reset(user=staff, actor=administrator)  # the only way, and audited

    assert not mfa.has_second_factor(user=staff)
    assert AuditEvent.objects.filter(action="mfa.reset", target_id=str(staff.pk)).exists()


@pytest.mark.django_db
def test_with_two_factors_one_may_go_but_not_the_second(staff):
    client = set_step_up(login_verified(Client(), staff), age_seconds=0)
    passkey = a_passkey(staff)
    app = TOTPDevice.objects.get(user=staff)
    codes = mfa.recovery_codes_generate(user=staff)
    assert codes

    assert remove(client, "totp", app.pk)["Location"] == reverse("accounts:mfa")
    remove(client, "passkey", passkey.pk)

    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    static = mfa.devices_for(user=staff)[-1].device
    assert mfa.device_remove(user=staff, kind="static", device_id=static.pk)  # codes may go


@pytest.mark.django_db
def test_a_role_without_the_requirement_may_remove_its_last_factor(moderator):
    client = set_step_up(login_verified(Client(), moderator), age_seconds=0)
    device = authenticator_for(moderator)

    response = remove(client, "totp", device.pk)

    assert response["Location"] == reverse("accounts:mfa")
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_parallel_removals_cannot_take_both_last_factors(staff):
    passkey = a_passkey(staff)
    app = TOTPDevice.objects.get(user=staff)
    results = race(
        lambda: mfa.device_remove(user=staff, kind="totp", device_id=app.pk),
        lambda: mfa.device_remove(user=staff, kind="passkey", device_id=passkey.pk),
    )
    outcomes = race_outcomes(results, refusal=mfa.LastFactorRequired, ok="removed", refused="kept")

    assert sorted(outcomes) == ["kept", "removed"]
    assert mfa.has_enrolled_factor(user=staff)


# --- A new session id after the second step ------------------------------------------------------


def session_id(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def with_session(key: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("factor", ["totp", "recovery"])
def test_the_session_id_is_renewed_when_the_code_is_accepted(staff, factor):
    client = password_only(staff)
    before = session_id(client)
    code = current_code(staff) if factor == "totp" else mfa.recovery_codes_generate(user=staff)[0]

    response = client.post(VERIFY, {"code": code})

    assert response.status_code == 302
    assert session_id(client) != before
    assert client.get(reverse("disclosures:home")).status_code == 200
    old = with_session(before).get(reverse("disclosures:home"))
    assert old["Location"].startswith(LOGIN)
    assert not SessionStore().exists(before)


@pytest.mark.django_db
def test_the_session_id_is_renewed_when_a_passkey_answers(staff):
    passkey = a_passkey(staff)
    client = password_only(staff)
    before = session_id(client)
    request = RequestFactory().post("/")
    request.session = SessionStore(session_key=before)
    request.user = staff

    second_factor.passkey_verified(request=request, device=passkey)
    request.session.save()

    assert request.session.session_key != before
    assert request.session[DEVICE_ID_SESSION_KEY] == passkey.persistent_id
    assert not SessionStore().exists(before)
    assert with_session(before).get(reverse("dashboard"))["Location"].startswith(LOGIN)


@pytest.mark.django_db
def test_the_session_id_is_renewed_when_enrolling_right_after_the_password(make_user):
    user = make_user(Role.LEGAL_OFFICER, username="nina")
    client = password_only(user)
    before = session_id(client)
    client.post(reverse("accounts:mfa_totp_add"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    client.post(
        reverse("accounts:mfa_totp_confirm", args=[device.pk]),
        {"code": current_code(user, device)},
    )

    assert session_id(client) != before
    assert client.get(reverse("disclosures:home")).status_code == 200
    assert not SessionStore().exists(before)
