from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from disclosures import crypto
from disclosures.masking import mask_ip, mask_phone
from disclosures.models import SubscriberPhone
from disclosures.subscriber import subscriber_source
from tests.disclosures.factories import give_subscriber_data, make_account, make_request

pytestmark = pytest.mark.django_db


def test_phone_is_encrypted_at_rest_and_found_by_blind_index():
    account = make_account()
    give_subscriber_data(account, phone="+33612345678")

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_index FROM disclosures_subscriberphone")
        stored, index = cursor.fetchone()
    assert "33612345678" not in stored
    assert (
        SubscriberPhone.objects.get(
            phone_index=crypto.blind_index("+33612345678", kind="phone")
        ).phone
        == "+33612345678"
    )
    assert index != crypto.blind_index("+33612345678", kind="ip")


def test_rotated_key_still_decrypts_and_reencrypts(settings):
    old = crypto.encrypt("203.0.113.7")
    settings.FIELD_ENCRYPTION_KEYS = "XNxQbqOwYml31ilaV54jm01Vcy-LusKN8HV_p7hH5tY=," + (
        __import__("base64").urlsafe_b64encode(crypto._derived("field-encryption")).decode()
    )
    assert crypto.decrypt(old) == "203.0.113.7"
    assert crypto.decrypt(crypto.reencrypt(old)) == "203.0.113.7"
    settings.FIELD_ENCRYPTION_KEYS = "XNxQbqOwYml31ilaV54jm01Vcy-LusKN8HV_p7hH5tY="
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(old)


def test_signatures_verify_and_detect_changes():
    signature = crypto.sign(b"manifest")
    assert crypto.verify(b"manifest", signature, crypto.public_key_b64())
    assert not crypto.verify(b"manifest!", signature, crypto.public_key_b64())


def test_masks():
    assert mask_phone("+33612345678") == "+33 6•• •• •• 78"
    assert mask_ip("203.0.113.7") == "203.0.113.•"
    assert "•" in mask_ip("2001:db8::1")
    assert mask_phone("not a phone") == "•••"


def test_database_source_reads_only_the_range():
    inside = datetime(2026, 10, 5, tzinfo=UTC)
    account = make_account()
    give_subscriber_data(
        account,
        ips=[
            ("203.0.113.7", 51000, inside),
            ("198.51.100.1", None, datetime(2026, 12, 1, tzinfo=UTC)),
        ],
    )
    records = subscriber_source().ip_records(
        account_ids=[account.platform_id],
        start=datetime(2026, 10, 1, tzinfo=UTC),
        end=datetime(2026, 11, 1, tzinfo=UTC),
    )
    assert [(r.ip, r.port) for r in records] == [("203.0.113.7", 51000)]


def test_factory_request_is_consistent(legal):
    request = make_request(created_by=legal)
    assert request.targets.get().resolution == "unique"
    assert request.deadline_rule == "EPOC_ART10_3_10D"
