"""User notices after a release: sent through the outbox, or deferred and sent later by beat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from disclosures import tasks
from disclosures.models import LegalRequest, UserNotice
from disclosures.outbox_kinds import USER_NOTICE
from disclosures.services import notices
from disclosures.services.review import request_close
from outbox.models import Delivery
from tests.disclosures.helpers import PHONE, released

# Private files go to a fresh folder per test (tests/disclosures/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

EPOC_REASON = "issuing authority informs the person (Reg. 2023/1543 Art. 13)"


def notice_rows(legal_request):
    return list(UserNotice.objects.filter(request=legal_request).order_by("pk"))


def user_deliveries():
    return list(Delivery.objects.filter(kind=USER_NOTICE).order_by("pk"))


def test_notice_goes_out_with_the_release_when_nothing_defers_it(legal, approver):
    request, _package = released(legal, approver, instrument=LegalRequest.Instrument.FR_77_1_1)

    rows = notice_rows(request)
    assert [n.status for n in rows] == [UserNotice.Status.SENT] * 2
    assert all(n.sent_at for n in rows)
    deliveries = user_deliveries()
    assert sorted(d.idempotency_key for d in deliveries) == sorted(
        f"notice-{request.uuid}-{n.account.platform_id}" for n in rows
    )
    payload = deliveries[0].payload
    assert payload["request"] == request.reference
    assert payload["authority_country"] == request.authority.country
    assert payload["categories"] == ["ip_addresses", "phone_number"]
    assert (payload["date_from"], payload["date_to"]) == (
        "2026-10-01T00:00:00Z",
        "2026-11-01T00:00:00Z",
    )
    text = str([d.payload for d in deliveries])
    assert PHONE[:-1] not in text
    assert "203.0.113" not in text
    assert AuditEvent.objects.filter(action="notice.sent").count() == 2


def test_nondisclosure_order_defers_until_expiry_then_beat_sends(legal, approver):
    expires = timezone.now() + timedelta(days=30)
    request, _package = released(
        legal,
        approver,
        instrument=LegalRequest.Instrument.US_SUBPOENA,
        nondisclosure=LegalRequest.NonDisclosure.US_2705B,
        nondisclosure_expires_at=expires,
    )

    rows = notice_rows(request)
    assert {(n.status, n.due_at) for n in rows} == {(UserNotice.Status.DEFERRED, expires)}
    assert "non-disclosure order" in rows[0].deferred_reason
    assert user_deliveries() == []
    assert AuditEvent.objects.filter(action="notice.deferred").count() == 2

    assert notices.notices_send_due(now=expires - timedelta(minutes=1)) == 0
    assert user_deliveries() == []

    assert notices.notices_send_due(now=expires + timedelta(minutes=1)) == 2
    assert {n.status for n in notice_rows(request)} == {UserNotice.Status.SENT}
    assert len(user_deliveries()) == 2
    assert AuditEvent.objects.filter(action="notice.sent").count() == 2
    assert notices.notices_send_due(now=expires + timedelta(days=1)) == 0  # once


def test_nondisclosure_order_without_expiry_defers_indefinitely(legal, approver):
    request, _package = released(
        legal,
        approver,
        instrument=LegalRequest.Instrument.US_2703D,
        nondisclosure=LegalRequest.NonDisclosure.OTHER,
    )

    rows = notice_rows(request)
    assert {(n.status, n.due_at) for n in rows} == {(UserNotice.Status.DEFERRED, None)}
    assert "without expiry" in rows[0].deferred_reason
    assert notices.notices_send_due(now=timezone.now() + timedelta(days=3650)) == 0
    assert user_deliveries() == []


def test_european_order_defers_because_the_issuing_authority_informs(legal, approver):
    request, _package = released(legal, approver, instrument=LegalRequest.Instrument.EPOC)

    rows = notice_rows(request)
    assert {n.status for n in rows} == {UserNotice.Status.DEFERRED}
    assert rows[0].deferred_reason == EPOC_REASON
    assert rows[0].due_at is None
    event = AuditEvent.objects.filter(action="notice.deferred").first()
    assert event.data["reasons"] == ["epoc"]
    request_close(request_id=request.pk, actor=legal)
    assert notices.notices_send_due(now=timezone.now() + timedelta(days=3650)) == 0
    assert user_deliveries() == []


def test_emergency_defers_until_the_request_is_closed(legal, approver, approver2):
    request, _package = released(
        legal,
        approver,
        instrument=LegalRequest.Instrument.US_EMERGENCY,
        emergency=True,
        second_approver=approver2,
    )

    rows = notice_rows(request)
    assert {n.status for n in rows} == {UserNotice.Status.DEFERRED}
    assert "emergency" in rows[0].deferred_reason
    assert tasks.send_due_notices.apply().get() == 0  # still open

    request_close(request_id=request.pk, actor=legal)

    assert tasks.send_due_notices.apply().get() == 2
    assert {n.status for n in notice_rows(request)} == {UserNotice.Status.SENT}
    assert len(user_deliveries()) == 2


def test_emergency_with_an_expired_order_still_waits_for_closure(legal, approver, approver2):
    expires = timezone.now() + timedelta(hours=1)
    request, _package = released(
        legal,
        approver,
        instrument=LegalRequest.Instrument.US_EMERGENCY,
        emergency=True,
        second_approver=approver2,
        nondisclosure=LegalRequest.NonDisclosure.US_2705B,
        nondisclosure_expires_at=expires,
    )
    assert notice_rows(request)[0].due_at == expires

    assert notices.notices_send_due(now=expires + timedelta(minutes=5)) == 0

    row = notice_rows(request)[0]
    assert row.status == UserNotice.Status.DEFERRED
    assert row.due_at is None
    assert "non-disclosure" not in row.deferred_reason
    request_close(request_id=request.pk, actor=legal)
    assert notices.notices_send_due(now=expires + timedelta(minutes=10)) == 2


def test_notice_deferral_rules():
    now = timezone.now()
    base = {
        "instrument": LegalRequest.Instrument.DSA_ART10,
        "nondisclosure": LegalRequest.NonDisclosure.NONE,
        "nondisclosure_expires_at": None,
        "emergency": False,
        "status": LegalRequest.Status.RELEASED,
    }
    assert notices.notice_deferral(LegalRequest(**base), now=now) is None
    past = LegalRequest(
        **{
            **base,
            "nondisclosure": LegalRequest.NonDisclosure.FR_SECRET,
            "nondisclosure_expires_at": now - timedelta(seconds=1),
        }
    )
    assert notices.notice_deferral(past, now=now) is None
    closed = LegalRequest(**{**base, "emergency": True, "status": LegalRequest.Status.CLOSED})
    assert notices.notice_deferral(closed, now=now) is None
    confidential = LegalRequest(
        **{**base, "nondisclosure": LegalRequest.NonDisclosure.EPOC_CONFIDENTIALITY}
    )
    assert notices.notice_deferral(confidential, now=now).codes == ("epoc",)
