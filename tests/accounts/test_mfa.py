from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa, reauth
from accounts.roles import Role
from audit.models import AuditEvent
from tests.accounts.helpers import flush_failed_signins
from tests.disclosures.factories import give_subscriber_data, make_account
from tests.utils import set_step_up

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"
PURPOSE = "Check the number named in request LR-2026-0042 before release."


@pytest.fixture(autouse=True)
def no_throttle(settings):
    """django-otp slows down retries after a failure; these tests retry at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def factors_optional(settings):
    """
    These tests follow one user's factors from none to several, so no role forces enrolment
    here; the mandatory second step is tested in test_second_factor.py.
    """
    settings.MFA_REQUIRED_ROLES = []


@pytest.fixture
def legal(make_user):
    return make_user(Role.LEGAL_OFFICER, username="louise")


@pytest.fixture
def legal_client(legal, client_for):
    # Signed in more than five minutes ago: the login no longer counts as a fresh step-up.
    return set_step_up(client_for(legal), age_seconds=None)


def confirmed_totp(user, client=None) -> TOTPDevice:
    """An authenticator the user holds; with a client, one that signed that session in."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    if client is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return device


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def step_up(client, **data):
    return client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/", **data})


def is_fresh(client) -> bool:
    return reauth.is_fresh(client.session.get(reauth.SESSION_KEY))


def trail_text() -> str:
    return str(list(AuditEvent.objects.order_by("pk").values()))


# --- Enrolment -----------------------------------------------------------------------------------


def start_enrolment(client) -> TOTPDevice:
    step_up(client)
    response = client.post(reverse("accounts:mfa_totp_add"))
    device = TOTPDevice.objects.get(confirmed=False)
    assert response["Location"] == reverse("accounts:mfa_totp_confirm", args=[device.pk])
    return device


def test_mfa_page_is_linked_from_the_user_menu(legal_client):
    response = legal_client.get(reverse("dashboard"))

    assert f'href="{reverse("accounts:mfa")}"' in response.content.decode()


def test_totp_enrolment_shows_an_inline_svg_qr_code_and_the_secret(legal_client):
    device = start_enrolment(legal_client)

    response = legal_client.get(reverse("accounts:mfa_totp_confirm", args=[device.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert "<path" in svg
    assert not re.search(r"\b(href|src)=", svg)
    assert "<img" not in body
    assert "<script>" not in body
    assert "https://" not in svg
    assert mfa.totp_secret(device=device) in body


def test_totp_enrolment_with_a_valid_code_confirms_the_device_and_is_audited(legal_client, legal):
    device = start_enrolment(legal_client)
    url = reverse("accounts:mfa_totp_confirm", args=[device.pk])

    response = legal_client.post(url, {"code": code_for(device)})

    assert response["Location"] == reverse("accounts:mfa")
    device.refresh_from_db()
    assert device.confirmed
    event = AuditEvent.objects.get(action="mfa.totp_enrolled")
    assert (event.actor, event.data) == (legal, {"device_id": device.pk})
    assert device.key not in trail_text()
    assert mfa.totp_secret(device=device).replace(" ", "") not in trail_text()


def test_totp_enrolment_with_a_wrong_code_confirms_nothing(legal_client):
    device = start_enrolment(legal_client)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = legal_client.post(
        reverse("accounts:mfa_totp_confirm", args=[device.pk]), {"code": wrong}
    )

    assert response.status_code == 200
    assert "That code is not correct" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not AuditEvent.objects.filter(action="mfa.totp_enrolled").exists()


def test_adding_an_authenticator_needs_a_fresh_step_up(legal_client):
    response = legal_client.post(reverse("accounts:mfa_totp_add"))

    assert response["Location"].startswith(reverse("accounts:reauth") + "?next=")
    assert not TOTPDevice.objects.exists()


# --- Recovery codes -----------------------------------------------------------------------------


def test_recovery_codes_are_ten_shown_once_and_regenerating_replaces_them(legal_client, legal):
    step_up(legal_client)

    first = legal_client.post(reverse("accounts:mfa_recovery_codes"))
    codes = list(StaticToken.objects.values_list("token", flat=True))
    second = legal_client.post(reverse("accounts:mfa_recovery_codes"))

    assert len(codes) == 10
    assert all(code in first.content.decode() for code in codes)
    assert "no-store" in first["Cache-Control"]
    new_codes = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new_codes) == 10
    assert not new_codes & set(codes)
    assert all(code in second.content.decode() for code in new_codes)
    assert StaticDevice.objects.filter(user=legal).count() == 1
    events = AuditEvent.objects.filter(action="mfa.recovery_codes_generated")
    assert events.count() == 2
    assert not any(code in trail_text() for code in codes)
    assert codes[0] not in legal_client.get(reverse("accounts:mfa")).content.decode()


def test_a_recovery_code_works_once(legal):
    code = mfa.recovery_codes_generate(user=legal)[0]

    assert mfa.verify_second_factor(user=legal, code=code) is not None
    assert mfa.verify_second_factor(user=legal, code=code) is None
    assert StaticToken.objects.count() == 9


# --- Step-up ------------------------------------------------------------------------------------


def test_step_up_without_a_device_needs_only_the_password(legal_client):
    response = step_up(legal_client)

    assert response.status_code == 302
    assert is_fresh(legal_client)


def test_step_up_with_a_device_is_refused_with_the_password_only(legal_client, legal):
    confirmed_totp(legal, legal_client)

    page = legal_client.get(reverse("accounts:reauth"))
    response = step_up(legal_client)

    assert 'name="code"' in page.content.decode()
    assert response.status_code == 200
    assert "The password or the code is not right." in response.content.decode()
    assert not is_fresh(legal_client)
    flush_failed_signins()
    failed = AuditEvent.objects.get(action="auth.step_up_failed")
    assert (failed.actor, failed.data["count"]) == (legal, 1)


def test_step_up_with_a_device_is_accepted_with_password_and_current_code(legal_client, legal):
    device = confirmed_totp(legal, legal_client)
    code = code_for(device)

    response = step_up(legal_client, code=code)

    assert response.status_code == 302
    assert is_fresh(legal_client)
    event = AuditEvent.objects.get(action="auth.reauthenticated")
    assert event.data == {"factor": "totp"}
    assert code not in trail_text()


def test_step_up_with_a_wrong_password_does_not_use_up_the_right_code(legal_client, legal):
    device = confirmed_totp(legal, legal_client)

    response = legal_client.post(
        reverse("accounts:reauth"), {"password": "wrong", "code": code_for(device)}
    )

    assert response.status_code == 200
    assert "The password or the code is not right." in response.content.decode()
    assert not is_fresh(legal_client)
    flush_failed_signins()
    assert AuditEvent.objects.get(action="auth.step_up_failed").data["count"] == 1
    device.refresh_from_db()
    assert device.last_t == -1


def test_step_up_with_a_wrong_code_is_refused_and_audited_without_the_code(legal_client, legal):
    device = confirmed_totp(legal, legal_client)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = step_up(legal_client, code=wrong)

    assert "The password or the code is not right." in response.content.decode()
    assert not is_fresh(legal_client)
    flush_failed_signins()
    assert wrong not in trail_text()


def test_step_up_with_a_recovery_code_is_accepted_and_uses_it_up(legal_client, legal):
    confirmed_totp(legal, legal_client)
    code = mfa.recovery_codes_generate(user=legal)[0]

    accepted = step_up(legal_client, code=code)
    again = step_up(legal_client, code=code)

    assert accepted.status_code == 302
    assert again.status_code == 200
    assert not StaticToken.objects.filter(token=code).exists()
    factors = [e.data for e in AuditEvent.objects.filter(action="auth.reauthenticated")]
    assert factors == [{"factor": "static"}]


# --- Removing a device --------------------------------------------------------------------------


def test_removing_a_device_needs_a_fresh_step_up_and_is_audited(legal_client, legal):
    device = confirmed_totp(legal, legal_client)
    url = reverse("accounts:mfa_device_remove", args=["totp", device.pk])

    refused = legal_client.post(url)
    assert refused["Location"].startswith(reverse("accounts:reauth"))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    step_up(legal_client, code=code_for(device))
    removed = legal_client.post(url)

    assert removed["Location"] == reverse("accounts:mfa")
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = AuditEvent.objects.get(action="mfa.device_removed")
    assert (event.actor, event.data) == (legal, {"kind": "totp", "device_id": device.pk})


def test_another_users_devices_are_invisible_and_cannot_be_removed(legal_client, legal, make_user):
    other = make_user(Role.LEGAL_APPROVER, username="anton")
    theirs = confirmed_totp(other)
    pending = TOTPDevice.objects.create(user=other, name="new", confirmed=False)
    step_up(legal_client)

    overview = legal_client.get(reverse("accounts:mfa"))
    removing = legal_client.post(reverse("accounts:mfa_device_remove", args=["totp", theirs.pk]))
    confirming = legal_client.get(reverse("accounts:mfa_totp_confirm", args=[pending.pk]))
    code = legal_client.post(
        reverse("accounts:mfa_totp_confirm", args=[pending.pk]), {"code": code_for(pending)}
    )

    assert "Authenticator app</td>" not in overview.content.decode()
    assert [removing.status_code, confirming.status_code, code.status_code] == [404, 404, 404]
    assert TOTPDevice.objects.filter(user=other).count() == 2
    assert not TOTPDevice.objects.get(pk=pending.pk).confirmed


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("accounts:mfa", [], "get"),
        ("accounts:mfa_totp_add", [], "post"),
        ("accounts:mfa_totp_confirm", [1], "get"),
        ("accounts:mfa_recovery_codes", [], "post"),
        ("accounts:mfa_device_remove", ["totp", 1], "post"),
    ],
)
def test_mfa_pages_need_a_login(client, name, args, method):
    response = getattr(client, method)(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Administrator reset ------------------------------------------------------------------------


def reset_action(client, user):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
    )


def test_an_administrator_resets_a_users_second_factor_and_it_is_audited(
    administrator, client_for, legal
):
    confirmed_totp(legal)
    mfa.recovery_codes_generate(user=legal)

    response = reset_action(client_for(administrator), legal)

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=legal).exists()
    assert not StaticDevice.objects.filter(user=legal).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert (event.actor, event.target_id) == (administrator, str(legal.pk))
    assert event.data == {"totp_devices": 1, "recovery_devices": 1, "passkeys": 0}
    assert not mfa.has_second_factor(user=legal)


def test_staff_without_manage_roles_cannot_reset_a_second_factor(make_user, client_for, legal):
    staff = make_user(username="helpdesk")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    confirmed_totp(legal)

    reset_action(client_for(staff), legal)

    assert TOTPDevice.objects.filter(user=legal).exists()
    assert not AuditEvent.objects.filter(action="mfa.reset").exists()
    with pytest.raises(mfa.MfaNotPermitted):
        mfa.mfa_reset(user=legal, actor=staff)


# --- Step-up before unmasking -------------------------------------------------------------------


def test_unmask_without_a_fresh_step_up_reads_and_writes_nothing(legal_client, legal):
    account = make_account(username="drugs_admin")
    give_subscriber_data(account, phone="+33612345678", ips=[])
    data = {
        "field": "phone",
        "record_id": account.subscriber_phone.pk,
        "basis": "reason:data_quality",
        "purpose": PURPOSE,
    }
    url = reverse("disclosures:subscriber_unmask", args=[account.pk])
    page = reverse("disclosures:subscriber", args=[account.pk])
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    plain = legal_client.post(url, data)
    htmx = legal_client.post(url, data, headers={"HX-Request": "true"})

    assert plain["Location"] == page
    assert htmx["HX-Redirect"] == page
    assert not AuditEvent.objects.filter(pk__gt=mark).exists()
    shown = legal_client.get(page).content.decode()
    assert "+33612345678" not in shown
    assert reverse("accounts:reauth") + "?next=" in shown

    confirmed_totp(legal, legal_client)
    step_up(legal_client, code=code_for(TOTPDevice.objects.get(user=legal)))
    unmasked = legal_client.post(url, data)
    assert "+33612345678" in legal_client.get(unmasked["Location"]).content.decode()
