"""Field encryption keys can be rotated: rotate_keys re-encrypts, old keys decrypt meanwhile."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEvent
from disclosures.crypto import DecryptionFailed
from disclosures.models import RequestTarget, SubscriberIp, SubscriberPhone
from tests.disclosures import factories

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def _raw(model, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _all_values() -> list[str]:
    return sorted(
        [p.phone for p in SubscriberPhone.objects.all()]
        + [i.ip for i in SubscriberIp.objects.all()]
        + [t.value for t in RequestTarget.objects.all()]
    )


def _rotate() -> str:
    out = StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out)
    return out.getvalue()


@pytest.fixture
def data_under_key_a(settings, legal_officer_user):
    settings.FIELD_ENCRYPTION_KEYS = KEY_A
    from datetime import UTC, datetime

    for n in range(3):
        account = factories.make_account()
        factories.give_subscriber_data(
            account,
            phone=f"+3361234567{n}",
            ips=[(f"203.0.113.{n}", 40000 + n, datetime(2026, 10, 2, n, tzinfo=UTC))],
        )
        factories.make_request(created_by=legal_officer_user, accounts=[account])
    return _all_values()


@pytest.fixture
def legal_officer_user(make_user):
    from accounts.roles import Role

    return make_user(Role.LEGAL_OFFICER)


def test_rotate_keys_moves_every_value_to_the_new_key(settings, data_under_key_a):
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY_B},{KEY_A}"
    assert _all_values() == data_under_key_a  # the old key still decrypts before rotation

    output = _rotate()

    assert "Total: 9 re-encrypted, 0 already current" in output
    settings.FIELD_ENCRYPTION_KEYS = KEY_B
    assert _all_values() == data_under_key_a
    for token in _raw(SubscriberPhone, "phone") + _raw(SubscriberIp, "ip"):
        Fernet(KEY_B).decrypt(token.encode())
    event = AuditEvent.objects.get(action="keys.rotated")
    assert event.data["rotated"] == 9
    assert "+3361234567" not in str(event.data)


def test_rotate_keys_twice_changes_nothing_the_second_time(settings, data_under_key_a):
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY_B},{KEY_A}"
    _rotate()
    before = _raw(SubscriberPhone, "phone") + _raw(RequestTarget, "value")

    output = _rotate()

    assert "Total: 0 re-encrypted, 9 already current" in output
    assert _raw(SubscriberPhone, "phone") + _raw(RequestTarget, "value") == before


def test_rotate_keys_without_the_old_key_cannot_read_and_says_so(settings, data_under_key_a):
    settings.FIELD_ENCRYPTION_KEYS = KEY_B
    with pytest.raises(DecryptionFailed):
        _all_values()

    with pytest.raises(CommandError, match="cannot be decrypted"):
        _rotate()

    settings.FIELD_ENCRYPTION_KEYS = KEY_A
    assert _all_values() == data_under_key_a  # nothing was overwritten
