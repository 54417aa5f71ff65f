"""
Unmasking is bounded: it names an open request or a listed reason, unmaskings without a
request are limited per user per hour, the purpose holds no phone number or IP address,
and the auditor sees who unmasks how much and every attempt refused by the limit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from disclosures.exceptions import InvalidRequest, UnmaskLimitReached
from disclosures.masking import mask_phone
from disclosures.models import LegalRequest, PiiUnmask, RequestTarget
from disclosures.pii_detection import normalise, pii_found
from disclosures.selectors.unmask import unmask_oversight
from disclosures.services.pii import purpose_clean
from moderation.models import PlatformAccount
from tests.disclosures import helpers
from tests.disclosures.factories import give_subscriber_data, make_account, make_request
from tests.utils import race, race_errors, race_outcomes, requires_postgres, set_step_up, step_up

pytestmark = pytest.mark.django_db

PHONE = "+33612345678"
IP = "203.0.113.77"
SEEN = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
PURPOSE = "Check the identity named in the order before the review."
REASON = PiiUnmask.Reason.TARGET_IDENTIFICATION
HTMX = {"HX-Request": "true"}
Status = LegalRequest.Status


@pytest.fixture
def account():
    account = make_account(username="channel_admin")
    give_subscriber_data(account, phone=PHONE, ips=[(IP, 443, SEEN)])
    return account


@pytest.fixture
def legal_client(legal, client_for):
    client = client_for(legal)
    confirmed = step_up(client)
    # A refused step-up would show up later as a puzzling step-up redirect (204): say it here.
    assert confirmed.status_code == 302, confirmed.content.decode()[:500]
    return client


unmask = partial(helpers.unmask, purpose=PURPOSE, default_reason=REASON)


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def actions_since(mark: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(pk__gt=mark).order_by("pk").values_list("action", flat=True)
    )


def age_unmasks(user, *, minutes: int) -> None:
    PiiUnmask.objects.filter(user=user).update(
        created_at=F("created_at") - timedelta(minutes=minutes)
    )


# --- What an unmasking names -------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [Status.RECEIVED, Status.IN_REVIEW, Status.CLARIFICATION, Status.APPROVED, Status.PRESERVING],
)
def test_unmask_for_an_open_request_naming_the_account_is_accepted(legal, account, status):
    legal_request = make_request(created_by=legal, status=status, accounts=[account])

    assert unmask(legal, account, request_id=legal_request.pk) == PHONE

    unmasked = PiiUnmask.objects.get()
    assert (unmasked.request, unmasked.reason, unmasked.refused) == (legal_request, "", False)
    event = AuditEvent.objects.get(action="pii.viewed")
    assert (event.data["request_id"], event.data["reason"]) == (legal_request.pk, "")


@pytest.mark.parametrize(
    "status", [Status.CLOSED, Status.RELEASED, Status.REJECTED, Status.WITHDRAWN]
)
def test_unmask_for_a_request_that_is_not_open_is_refused_and_writes_nothing(
    legal, account, status
):
    legal_request = make_request(created_by=legal, status=status, accounts=[account])
    mark = last_event_id()

    with pytest.raises(InvalidRequest) as refused:
        unmask(legal, account, request_id=legal_request.pk)

    assert "not open" in refused.value.errors["request_id"][0]
    assert actions_since(mark) == []
    assert not PiiUnmask.objects.exists()


def test_unmask_for_a_request_whose_targets_do_not_include_the_account_is_refused(legal, account):
    other = make_request(created_by=legal)  # targets another account
    ambiguous = make_request(created_by=legal, accounts=[])
    RequestTarget.objects.create(
        request=ambiguous,
        kind=RequestTarget.Kind.USERNAME,
        value="channel_admin",
        value_index="x",
        account=account,
        resolution=RequestTarget.Resolution.AMBIGUOUS,
    )
    mark = last_event_id()

    for legal_request in (other, ambiguous):
        with pytest.raises(InvalidRequest) as refused:
            unmask(legal, account, request_id=legal_request.pk)
        assert "not a target" in refused.value.errors["request_id"][0]
    with pytest.raises(InvalidRequest):
        unmask(legal, account, request_id=999_999)

    assert actions_since(mark) == []
    assert not PiiUnmask.objects.exists()


@pytest.mark.parametrize(
    ("request_id", "reason"),
    [(None, ""), (None, "routine_curiosity"), (None, None), ("request", REASON)],
)
def test_unmask_without_a_request_or_a_listed_reason_is_refused(legal, account, request_id, reason):
    if request_id == "request":
        request_id = make_request(created_by=legal, accounts=[account]).pk
    mark = last_event_id()

    with pytest.raises(InvalidRequest) as refused:
        unmask(legal, account, request_id=request_id, reason=reason)

    assert "basis" in refused.value.errors
    assert actions_since(mark) == []
    assert not PiiUnmask.objects.exists()


# --- The hourly limit without a request ----------------------------------------------------------


def test_the_eleventh_unmask_without_a_request_in_an_hour_is_refused_and_recorded(legal, account):
    for _ in range(10):
        assert unmask(legal, account) == PHONE
    mark = last_event_id()

    with pytest.raises(UnmaskLimitReached) as refused:
        unmask(legal, account, purpose="One more look at the number for the quality check")

    assert "the limit is 10" in refused.value.message
    assert "Name the open request" in refused.value.message
    assert actions_since(mark) == ["pii.unmask_limit_reached"]
    event = AuditEvent.objects.get(action="pii.unmask_limit_reached")
    attempt = PiiUnmask.objects.get(refused=True)
    assert (event.actor, event.target_type, event.target_id) == (
        legal,
        "moderation.platformaccount",
        str(account.pk),
    )
    assert event.data == {
        "field": "phone",
        "account_id": account.pk,
        "record_id": account.subscriber_phone.pk,
        "reason": REASON,
        "purpose": "One more look at the number for the quality check",
        "limit": 10,
        "used": 10,
        "unmask_id": attempt.pk,
    }
    assert (attempt.user, attempt.account, attempt.request) == (legal, account, None)
    assert PiiUnmask.objects.filter(refused=False).count() == 10
    assert AuditEvent.objects.filter(action="pii.viewed").count() == 10


def test_unmasks_for_a_request_are_not_limited_and_not_counted(legal, account):
    legal_request = make_request(created_by=legal, accounts=[account])
    for _ in range(12):
        unmask(legal, account, request_id=legal_request.pk)

    for _ in range(10):
        unmask(legal, account)
    with pytest.raises(UnmaskLimitReached):
        unmask(legal, account)
    assert unmask(legal, account, request_id=legal_request.pk) == PHONE

    assert PiiUnmask.objects.filter(refused=False).count() == 23


def test_the_limit_window_slides(legal, account):
    for _ in range(10):
        unmask(legal, account)
    age_unmasks(legal, minutes=59)
    with pytest.raises(UnmaskLimitReached):
        unmask(legal, account)

    age_unmasks(legal, minutes=2)  # the first ten are now 61 minutes old; the refusal 2

    assert unmask(legal, account) == PHONE


def test_refused_attempts_do_not_use_the_hourly_share(legal, account, settings):
    settings.PII_UNMASK_HOURLY_LIMIT = 2
    unmask(legal, account)
    unmask(legal, account)
    for _ in range(3):
        with pytest.raises(UnmaskLimitReached):
            unmask(legal, account)
    PiiUnmask.objects.filter(refused=False).update(
        created_at=F("created_at") - timedelta(minutes=61)
    )

    unmask(legal, account)
    unmask(legal, account)

    assert PiiUnmask.objects.filter(refused=True).count() == 3


def test_the_limit_follows_the_setting(legal, account, settings):
    settings.PII_UNMASK_HOURLY_LIMIT = 3
    for _ in range(3):
        unmask(legal, account)

    with pytest.raises(UnmaskLimitReached) as refused:
        unmask(legal, account)

    assert "the limit is 3" in refused.value.message
    assert refused.value.limit == 3


def test_the_limit_is_per_user(legal, approver, account, settings):
    settings.PII_UNMASK_HOURLY_LIMIT = 1
    unmask(legal, account)
    with pytest.raises(UnmaskLimitReached):
        unmask(legal, account)

    assert unmask(approver, account) == PHONE


def test_a_refused_purpose_past_the_limit_is_not_recorded_as_an_attempt(legal, account, settings):
    settings.PII_UNMASK_HOURLY_LIMIT = 1
    unmask(legal, account)
    mark = last_event_id()

    with pytest.raises(InvalidRequest):
        unmask(legal, account, purpose="call 06 12 34 56 78")

    assert actions_since(mark) == []
    assert not PiiUnmask.objects.filter(refused=True).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_unmasks_without_a_request_never_pass_the_limit(make_user, settings):
    settings.PII_UNMASK_HOURLY_LIMIT = 10
    legal = make_user(Role.LEGAL_OFFICER)
    account = make_account()
    give_subscriber_data(account, phone=PHONE)
    results = race(*[lambda: unmask(legal, account)] * 15)
    errors = race_errors(results, UnmaskLimitReached)
    outcomes = race_outcomes(results, refusal=UnmaskLimitReached, ok="shown")

    assert errors == []
    assert sorted(outcomes) == ["refused"] * 5 + ["shown"] * 10
    assert PiiUnmask.objects.filter(refused=False).count() == 10
    assert PiiUnmask.objects.filter(refused=True).count() == 5
    assert AuditEvent.objects.filter(action="pii.viewed").count() == 10
    assert AuditEvent.objects.filter(action="pii.unmask_limit_reached").count() == 5


# --- The purpose --------------------------------------------------------------------------------


DISGUISED = [
    # phone numbers
    "call 06 12 34 56 78",
    "+33 6.12.34.56.78",
    "0033612345678",
    "+33\u200b612345678",  # zero-width space
    "06\u200c12\u200d34\u206056\ufeff78 to check",  # joiners, word joiner, BOM
    "06\u00ad12\u00ad34\u00ad56\u00ad78 to check",  # soft hyphens
    "\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18 is theirs",  # full width
    "\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668 is theirs",  # Arabic-Indic
    "+33 (0)6 12 34 56 78",
    "06-12-34-56-78 named in the order",
    "06\u201312\u201334\u201356\u201378 named in the order",  # en dashes
    "06/12/34/56/78 named in the order",
    "German number 030/1234567 in the order",
    "US number (415) 555-0123 in the order",
    "0 6 1 2 3 4 5 6 7 8 spaced out",
    "number 06.12.2034 56 78",  # a date cannot hide a number's start
    # IPv4
    "ip 010.001.002.003",
    "ip 10.1.2.3 in the logs",
    "192 . 168 . 1 . 1",  # up to three spaces around each dot
    "192[.]168[.]1[.]1 defanged",
    "192 dot 168 dot 1 dot 1",
    "0xC0.0xA8.0x01.0x01 in hex",
    "0xC0A80101 as one word",
    "3232235777 as one number",
    "ip\u200b10.0.0.1 hidden",
    # IPv6
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "2001:db8::1",
    "check 2001:DB8::1 upper case",
    "[2001:db8::1]:443 with a port",
    "2001 : db8 :: 1 spaced",
    "2001:00db8::1 with extra zeros",
    "fe80::1%eth0 with a zone",
    "::ffff:10.0.0.1 mapped",
    "2001[:]db8[:]:1 defanged",
]

LEGITIMATE = [
    "Verify target identity for LR-2026-00014 before review",
    "Audit sample 2026 Q3 item 12",
    "Follow-up of the 2026-10-05 order from the judge",
    "Order of 05.10.2026 from the investigating judge",
    "Order dated 05/10/2026, page 3",
    "Regulation (EU) 2023/1543, Art. 5 production order",
    "Article 6(1)(c) GDPR legal obligation",
    "Security incident INC-2026-1234 triage",
    "Meeting at 12:30:45 with counsel about the request",
    "Data quality check, batch 12 of 40",
]


@pytest.mark.parametrize("purpose", DISGUISED)
def test_a_purpose_with_a_phone_number_or_ip_address_in_any_spelling_is_refused(purpose):
    with pytest.raises(InvalidRequest) as refused:
        purpose_clean(purpose)

    message = refused.value.errors["purpose"][0]
    assert "Do not put phone numbers or IP addresses in the purpose" in message


@pytest.mark.parametrize("purpose", LEGITIMATE)
def test_a_legitimate_purpose_is_accepted(purpose):
    assert purpose_clean(purpose) == purpose


@pytest.mark.parametrize(
    ("purpose", "kind"),
    [("ip 010.001.002.003", "ip"), ("2001:db8::1", "ip"), ("call 06 12 34 56 78", "phone")],
)
def test_the_refusal_says_what_was_found(purpose, kind):
    assert pii_found(purpose) == kind
    with pytest.raises(InvalidRequest) as refused:
        purpose_clean(purpose)
    expected = "an IP address" if kind == "ip" else "a phone number"
    assert expected in refused.value.errors["purpose"][0]


def test_normalise_folds_digits_and_drops_invisible_characters():
    assert normalise("\uff10\u200b6\u00a01\u2013\u0662") == "06 1-2"


def test_invisible_characters_are_not_stored_and_do_not_count_towards_the_length():
    assert (
        purpose_clean("Audit\u200b sample\u2060 2026 Q3 item 12") == "Audit sample 2026 Q3 item 12"
    )
    with pytest.raises(InvalidRequest) as refused:
        purpose_clean("\u200b" * 30 + "short")
    assert "at least 10 characters" in refused.value.errors["purpose"][0]


def test_a_disguised_purpose_is_refused_by_the_service_and_writes_nothing(legal, account):
    mark = last_event_id()

    with pytest.raises(InvalidRequest):
        unmask(legal, account, purpose="verify +33\u200b612345678 please")

    assert actions_since(mark) == []
    assert not PiiUnmask.objects.exists()


# --- The subscriber page -------------------------------------------------------------------


def subscriber_url(account) -> str:
    return reverse("disclosures:subscriber", args=[account.pk])


def unmask_url(account) -> str:
    return reverse("disclosures:subscriber_unmask", args=[account.pk])


def post_unmask(client, account, **data):
    fields = {"field": "phone", "record_id": account.subscriber_phone.pk, "purpose": PURPOSE}
    fields.update(data)
    return client.post(unmask_url(account), fields, headers=HTMX)


def test_the_form_offers_open_requests_naming_the_account_and_the_listed_reasons(
    legal_client, legal, account
):
    open_request = make_request(created_by=legal, status=Status.IN_REVIEW, accounts=[account])
    closed = make_request(created_by=legal, status=Status.CLOSED, accounts=[account])
    unrelated = make_request(created_by=legal)

    page = legal_client.get(subscriber_url(account)).content.decode()

    assert f'value="request:{open_request.pk}"' in page
    assert open_request.reference in page
    assert f'value="request:{closed.pk}"' not in page
    assert f'value="request:{unrelated.pk}"' not in page
    for reason in PiiUnmask.Reason:
        assert f'value="reason:{reason.value}"' in page
    assert "0 of 10 used in the last hour" in page


def test_unmask_through_the_page_for_a_request(legal_client, legal, account):
    legal_request = make_request(created_by=legal, accounts=[account])

    response = post_unmask(legal_client, account, basis=f"request:{legal_request.pk}")

    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert PiiUnmask.objects.get().request == legal_request


def test_unmask_through_the_page_for_a_reason_updates_the_hourly_share(legal_client, account):
    response = post_unmask(legal_client, account, basis=f"reason:{REASON}")

    body = response.content.decode()
    assert PHONE in body
    assert 'id="unmask-budget" hx-swap-oob="true"' in body
    assert "1 of 10 used in the last hour" in body
    assert PiiUnmask.objects.get().reason == REASON


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Name the open legal request the unmasking is for"),
        ({"basis": "reason:routine_curiosity"}, "Choose an open legal request or a reason"),
        ({"basis": "request:abc"}, "Choose an open legal request or a reason"),
        ({"basis": "request:99999999999999999999"}, "Choose an open legal request or a reason"),
        ({"basis": "whatever"}, "Choose an open legal request or a reason"),
        ({"basis": "request:999999"}, "not open"),
        ({"basis": f"reason:{REASON}", "purpose": "ip 010.001.002.003"}, "IP address"),
    ],
)
def test_a_bad_unmask_through_the_page_is_a_clear_error_and_writes_nothing(
    legal_client, account, data, message
):
    mark = last_event_id()

    response = post_unmask(legal_client, account, **data)

    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert mask_phone(PHONE) in body
    assert PHONE not in body
    assert actions_since(mark) == []
    assert not PiiUnmask.objects.exists()


def test_a_refusal_keeps_the_chosen_basis_and_the_purpose(legal_client, legal, account):
    legal_request = make_request(created_by=legal, accounts=[account])

    response = post_unmask(
        legal_client, account, basis=f"request:{legal_request.pk}", purpose="too short"
    )

    body = response.content.decode()
    assert f'<option value="request:{legal_request.pk}" selected>' in body
    assert "too short</textarea>" in body


def test_past_the_limit_the_page_says_so_and_shows_nothing(legal_client, legal, account, settings):
    settings.PII_UNMASK_HOURLY_LIMIT = 1
    post_unmask(legal_client, account, basis=f"reason:{REASON}")

    response = post_unmask(legal_client, account, basis=f"reason:{REASON}")

    body = response.content.decode()
    assert response.status_code == 200
    assert "the limit is 1" in body
    assert "shown to the auditor" in body
    assert PHONE not in body
    assert PiiUnmask.objects.filter(user=legal, refused=True).count() == 1


def test_past_the_limit_without_htmx_the_page_comes_back_with_the_message(
    legal_client, account, settings
):
    settings.PII_UNMASK_HOURLY_LIMIT = 0

    response = legal_client.post(
        unmask_url(account),
        {
            "field": "phone",
            "record_id": account.subscriber_phone.pk,
            "basis": f"reason:{REASON}",
            "purpose": PURPOSE,
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "the limit is 0" in body
    assert PHONE not in body


def test_without_a_fresh_step_up_nothing_is_unmasked_or_counted(legal, client_for, account):
    client = set_step_up(client_for(legal), age_seconds=None)

    response = post_unmask(client, account, basis=f"reason:{REASON}")

    assert response.status_code == 204
    assert response["HX-Redirect"] == subscriber_url(account)
    assert not PiiUnmask.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="pii.").exists()


# --- The auditor's alarm ---------------------------------------------------------------------


def unmasked_by(
    user: User,
    account: PlatformAccount,
    *,
    refused: bool = False,
    hours_ago: float = 0,
    legal_request: LegalRequest | None = None,
) -> PiiUnmask:
    row = PiiUnmask.objects.create(
        user=user,
        account=account,
        field="phone",
        record_id=account.subscriber_phone.pk,
        request=legal_request,
        reason="" if legal_request else REASON,
        purpose=PURPOSE,
        refused=refused,
    )
    if hours_ago:
        PiiUnmask.objects.filter(pk=row.pk).update(
            created_at=F("created_at") - timedelta(hours=hours_ago)
        )
    return row


def test_oversight_counts_volume_per_user_and_refused_attempts(legal, approver, account):
    legal_request = make_request(created_by=legal, accounts=[account])
    for _ in range(3):
        unmasked_by(legal, account)
    unmasked_by(legal, account, legal_request=legal_request)
    unmasked_by(legal, account, hours_ago=30)  # out of the 24 hours
    unmasked_by(legal, account, refused=True, hours_ago=48)
    unmasked_by(legal, account, refused=True, hours_ago=24 * 8)  # out of the 7 days
    unmasked_by(approver, account)

    oversight = unmask_oversight()

    by_user = {row.username: row for row in oversight.rows}
    assert list(by_user) == [legal.username, approver.username]  # refusals first
    mine = by_user[legal.username]
    assert (mine.shown_day, mine.without_request_day, mine.refused_week) == (4, 3, 1)
    assert mine.last_refused_at is not None
    assert (by_user[approver.username].shown_day, by_user[approver.username].refused_week) == (
        1,
        0,
    )
    assert oversight.alarming
    assert (oversight.refused_total, oversight.users_refused) == (1, 1)


def test_no_refusal_no_alarm(legal, account):
    unmasked_by(legal, account)

    assert not unmask_oversight().alarming


def test_the_auditor_sees_the_alarm_on_the_integrity_page(auditor_client, legal, account, settings):
    settings.PII_UNMASK_HOURLY_LIMIT = 1
    unmask(legal, account)
    with pytest.raises(UnmaskLimitReached):
        unmask(legal, account)

    page = auditor_client.get(reverse("audit:integrity")).content.decode()

    assert 'id="pii-unmask-oversight"' in page
    assert "ALARM: 1 unmasking attempt refused by the hourly limit" in page
    assert legal.username in page


def test_the_auditor_sees_the_alarm_on_the_dashboard(auditor_client, legal, account):
    unmasked_by(legal, account, refused=True)

    page = auditor_client.get(reverse("dashboard")).content.decode()

    assert "ALARM: 1 unmasking attempt refused by the hourly limit" in page


def test_without_refusals_the_auditor_sees_the_volume_without_an_alarm(
    auditor_client, legal, account
):
    unmasked_by(legal, account)

    page = auditor_client.get(reverse("dashboard")).content.decode()

    assert 'id="pii-unmask-oversight"' in page
    assert "ALARM" not in page
    assert "No unmasking refused by the hourly limit" in page


@pytest.mark.parametrize("role", ["legal", "approver", "moderator", "administrator"])
def test_nobody_but_the_auditor_sees_the_unmask_panel(request, role, client_for, account, legal):
    unmasked_by(legal, account, refused=True)
    client = client_for(request.getfixturevalue(role))

    pages = [client.get(reverse("dashboard"))]
    if role == "administrator":  # the only other role that may open the integrity page
        pages.append(client.get(reverse("audit:integrity")))

    for response in pages:
        assert response.status_code == 200
        assert 'id="pii-unmask-oversight"' not in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url_name", ["audit:integrity", "dashboard"])
def test_the_auditor_pages_query_count_does_not_grow_with_unmaskings(
    auditor_client, make_user, account, url_name
):
    url = reverse(url_name)
    first = make_user(Role.LEGAL_OFFICER)
    unmasked_by(first, account)
    unmasked_by(first, account, refused=True)
    auditor_client.get(url)  # warm the session
    small = _queries(auditor_client, url)

    for _ in range(6):
        user = make_user(Role.LEGAL_APPROVER)
        for _ in range(3):
            unmasked_by(user, account)
        unmasked_by(user, account, refused=True)

    assert _queries(auditor_client, url) == small
