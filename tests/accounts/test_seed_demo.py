from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.demo import DEMO_USERS
from accounts.models import User

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, list]:
    """Every row of every table the demo writes, so 'changes nothing' is checked exactly."""
    snapshot = {}
    for model in apps.get_models():
        if model._meta.managed and model._meta.app_label in {
            "accounts",
            "audit",
            "auth",
            "moderation",
        }:
            snapshot[model._meta.label] = list(model.objects.order_by("pk").values())
    return snapshot


def test_seed_demo_creates_one_user_per_role_with_the_documented_names(settings):
    call_command("seed_demo", verbosity=0)

    for username, *_ in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(settings.DEMO_PASSWORD)
        assert user.role_names
    assert {"moderator", "senior", "legal", "approver", "approver2", "auditor", "admin"} <= set(
        User.objects.values_list("username", flat=True)
    )
    assert User.objects.get(username="admin").is_staff


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", verbosity=0)
    first = _snapshot()

    call_command("seed_demo", verbosity=0)

    assert _snapshot() == first


def test_seed_demo_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False

    with pytest.raises(CommandError, match="demo mode"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.filter(username="moderator").exists()


def test_seed_demo_fills_a_busy_moderation_queue():
    from moderation.models import Appeal, Case, CaseSignal, Decision, Statement

    call_command("seed_demo", verbosity=0)

    assert Case.objects.filter(status="open").count() >= 150
    assert Case.objects.values("category").distinct().count() >= 12
    assert Case.objects.filter(has_trusted_flagger=True).exists()
    assert Case.objects.filter(has_automated=True).exists()
    assert Case.objects.filter(status="escalated").exists()
    assert Case.objects.filter(status="legal").exists()
    assert Decision.objects.count() >= 50
    assert Statement.objects.count() >= 30
    assert Appeal.objects.filter(status="pending").exists()
    assert Appeal.objects.exclude(status="pending").exists()
    # The demo bank matches the exact pictures and their synthetic near-copies.
    matches = CaseSignal.objects.filter(kind="hash_match")
    distances = {m.details.get("distance") for m in matches}
    assert matches.count() >= 8
    assert 0 in distances
    assert any(d and 0 < d <= 31 for d in distances)


def test_seed_demo_adds_legal_work_in_every_state():
    from disclosures.models import (
        Authority,
        LegalRequest,
        SubscriberIp,
        SubscriberPhone,
        UserNotice,
    )

    call_command("seed_demo", verbosity=0)

    states = set(LegalRequest.objects.values_list("status", flat=True))
    assert states == set(LegalRequest.Status.values)
    assert LegalRequest.objects.filter(emergency=True).exists()
    assert LegalRequest.objects.filter(outcome=LegalRequest.Outcome.NO_RECORDS).exists()
    assert Authority.objects.filter(status="suspended").exists()
    assert SubscriberPhone.objects.exists()
    assert SubscriberIp.objects.count() >= 50
    assert UserNotice.objects.filter(status="deferred").exists()
    # An order without an end date whose periodic review is overdue, on a closed request.
    from disclosures.selectors.nondisclosure import nondisclosure_reviews_due

    due = nondisclosure_reviews_due().rows
    assert [row.request.status for row in due] == [LegalRequest.Status.CLOSED]


def test_demo_accounts_whose_role_requires_two_steps_get_the_published_authenticator(settings):
    from base64 import b32decode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.demo import demo_code

    call_command("seed_demo", verbosity=0)

    with_device = set(
        TOTPDevice.objects.filter(confirmed=True).values_list("user__username", flat=True)
    )
    assert with_device == {"legal", "legal2", "approver", "approver2", "auditor", "admin"}
    device = TOTPDevice.objects.get(user__username="legal")
    assert bytes.fromhex(device.key) == b32decode(settings.DEMO_TOTP_SECRET)
    assert device.verify_token(demo_code())

    call_command("seed_demo", verbosity=0)  # idempotent: no second device
    assert TOTPDevice.objects.filter(user__username="legal").count() == 1


def test_demo_code_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo mode"):
        call_command("demo_code")
