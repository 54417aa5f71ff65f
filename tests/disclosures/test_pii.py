from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.masking import mask_ip, mask_phone
from disclosures.models import PiiUnmask, SubscriberIp
from disclosures.services import pii
from tests.disclosures import helpers
from tests.disclosures.factories import give_subscriber_data, make_account, make_request
from tests.utils import step_up

pytestmark = pytest.mark.django_db

PHONE = "+33612345678"
IP = "203.0.113.77"
IP6 = "2001:db8:4::99"
SEEN = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
PURPOSE = "Check the number named in request LR-2026-0042 before release."
HTMX = {"HX-Request": "true"}
REASON = PiiUnmask.Reason.DATA_QUALITY
BASIS = f"reason:{REASON}"


@pytest.fixture
def legal_client(legal, client_for):
    """Freshly re-authenticated: unmasking needs a step-up within the last five minutes."""
    client = client_for(legal)
    step_up(client)
    return client


@pytest.fixture
def account():
    account = make_account(username="drugs_admin")
    give_subscriber_data(account, phone=PHONE, ips=[(IP, 443, SEEN), (IP6, None, SEEN)])
    return account


def ip_record(address: str = IP) -> SubscriberIp:
    return next(r for r in SubscriberIp.objects.all() if r.ip == address)


unmask = partial(helpers.unmask, purpose=PURPOSE, default_reason=REASON)


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_since(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))


def trail_text() -> str:
    """Every audit event, every column, as one string."""
    rows = AuditEvent.objects.order_by("pk").values()
    return json.dumps([{k: str(v) for k, v in row.items()} for row in rows])


def assert_no_clear_value(text: str) -> None:
    for value in (PHONE, PHONE[1:], "612345678", IP, IP6):
        assert value not in text


# --- The service -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["legal", "approver"])
def test_pii_unmask_returns_the_phone_and_records_pii_viewed(request, role, account):
    actor = request.getfixturevalue(role)

    value = unmask(actor, account)

    assert value == PHONE
    event = AuditEvent.objects.get(action="pii.viewed")
    assert (event.actor, event.target_type, event.target_id) == (
        actor,
        "moderation.platformaccount",
        str(account.pk),
    )
    assert event.data == {
        "field": "phone",
        "account_id": account.pk,
        "record_id": account.subscriber_phone.pk,
        "request_id": None,
        "reason": REASON,
        "purpose": PURPOSE,
    }
    assert_no_clear_value(trail_text())
    unmasked = PiiUnmask.objects.get()
    assert (unmasked.user, unmasked.account, unmasked.request, unmasked.refused) == (
        actor,
        account,
        None,
        False,
    )
    assert (unmasked.field, unmasked.record_id, unmasked.reason, unmasked.purpose) == (
        "phone",
        account.subscriber_phone.pk,
        REASON,
        PURPOSE,
    )


def test_pii_unmask_returns_one_ip_record_for_a_legal_request(legal, account):
    legal_request = make_request(created_by=legal, accounts=[account])
    record = ip_record(IP6)

    value = unmask(legal, account, field="ip", record_id=record.pk, request_id=legal_request.pk)

    assert value == IP6
    event = AuditEvent.objects.get(action="pii.viewed")
    assert (event.data["field"], event.data["record_id"], event.data["request_id"]) == (
        "ip",
        record.pk,
        legal_request.pk,
    )
    assert_no_clear_value(trail_text())


@pytest.mark.parametrize("purpose", ["", "   ", "because", "x" * 501, None])
def test_pii_unmask_without_a_usable_purpose_is_refused_and_writes_nothing(legal, account, purpose):
    mark = last_event_id()

    with pytest.raises(InvalidRequest) as refused:
        unmask(legal, account, purpose=purpose)

    assert "purpose" in refused.value.errors
    assert events_since(mark) == []


def test_blank_purpose_is_refused_with_a_clear_message(legal, account):
    with pytest.raises(InvalidRequest) as refused:
        unmask(legal, account, purpose="  ")

    assert "State why you need to see the value" in refused.value.errors["purpose"][0]


def test_a_purpose_that_repeats_the_value_is_refused(legal, account):
    mark = last_event_id()

    with pytest.raises(InvalidRequest):
        unmask(legal, account, purpose="Verify that 06 12 34 56 78 is theirs, as the judge asks")
    with pytest.raises(InvalidRequest):
        unmask(
            legal,
            account,
            field="ip",
            record_id=ip_record().pk,
            purpose=f"Confirm {IP} matches the order",
        )

    assert events_since(mark) == []


@pytest.mark.parametrize("role", ["moderator", "auditor", "senior"])
def test_pii_unmask_by_other_roles_is_refused_and_recorded_as_denied(
    request, role, account, make_user
):
    from accounts.roles import Role

    actor = make_user(Role.SENIOR_MODERATOR) if role == "senior" else request.getfixturevalue(role)
    mark = last_event_id()

    with pytest.raises(NotPermitted):
        unmask(actor, account)

    [denied] = events_since(mark)
    assert (denied.action, denied.actor, denied.target_id) == (
        "authz.denied",
        actor,
        str(account.pk),
    )
    assert denied.data == {"operation": "pii_unmask", "rule": "NotPermitted", "field": "phone"}


def test_a_role_refusal_comes_before_the_purpose_check(moderator, account):
    mark = last_event_id()

    with pytest.raises(NotPermitted):
        unmask(moderator, account, purpose="")

    assert [e.action for e in events_since(mark)] == ["authz.denied"]


def test_pii_unmask_refuses_records_of_another_account(legal, account):
    other = make_account()
    give_subscriber_data(other, phone="+33698765432", ips=[("198.51.100.5", 80, SEEN)])
    theirs = SubscriberIp.objects.get(account=other)
    mark = last_event_id()

    with pytest.raises(InvalidRequest):
        unmask(legal, account, field="ip", record_id=theirs.pk)
    with pytest.raises(InvalidRequest):
        unmask(legal, account, field="phone", record_id=other.subscriber_phone.pk)
    with pytest.raises(InvalidRequest):
        unmask(legal, account, field="ip", record_id=None)
    with pytest.raises(InvalidRequest):
        unmask(legal, account, field="email")

    assert events_since(mark) == []


def test_pii_unmask_for_a_request_that_does_not_target_the_account_is_refused(legal, account):
    unrelated = make_request(created_by=legal)
    mark = last_event_id()

    with pytest.raises(InvalidRequest):
        unmask(legal, account, request_id=unrelated.pk)

    assert events_since(mark) == []


@pytest.mark.django_db(transaction=True)
def test_pii_viewed_is_written_in_the_same_transaction_as_the_read(legal, account, monkeypatch):
    record = pii.audit.record
    seen: list[bool] = []

    def spy(**kwargs):
        seen.append(connection.in_atomic_block)
        return record(**kwargs)

    monkeypatch.setattr(pii.audit, "record", spy)

    assert unmask(legal, account) == PHONE
    assert seen == [True]

    def failing(**kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(pii.audit, "record", failing)
    with pytest.raises(RuntimeError):
        unmask(legal, account)  # no trail entry, no value
    assert AuditEvent.objects.filter(action="pii.viewed").count() == 1


# --- The pages -----------------------------------------------------------------------------------


def subscriber_url(account) -> str:
    return reverse("disclosures:subscriber", args=[account.pk])


def unmask_url(account) -> str:
    return reverse("disclosures:subscriber_unmask", args=[account.pk])


def assert_pii_headers(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"].startswith("noindex")


def test_lookup_finds_an_account_by_platform_id_or_username(legal_client, account):
    by_id = legal_client.get(reverse("disclosures:subscribers"), {"q": account.platform_id})
    by_name = legal_client.get(reverse("disclosures:subscribers"), {"q": "@DRUGS_admin"})
    nothing = legal_client.get(reverse("disclosures:subscribers"), {"q": "nobody"})

    for response in (by_id, by_name):
        assert response.status_code == 200
        assert subscriber_url(account) in response.content.decode()
        assert_no_clear_value(response.content.decode())
        assert_pii_headers(response)
    assert subscriber_url(account) not in nothing.content.decode()


def test_subscriber_page_shows_values_masked_only(approver_client, account):
    response = approver_client.get(subscriber_url(account))

    page = response.content.decode()
    assert response.status_code == 200
    assert mask_phone(PHONE) in page
    assert mask_ip(IP) in page
    assert mask_ip(IP6) in page
    assert_no_clear_value(page)
    assert_pii_headers(response)


@pytest.mark.parametrize("who", ["moderator_client", "auditor_client"])
def test_moderators_and_auditors_cannot_reach_subscriber_pages(request, who, account):
    client = request.getfixturevalue(who)

    responses = [
        client.get(reverse("disclosures:subscribers"), {"q": account.platform_id}),
        client.get(subscriber_url(account)),
        client.post(
            unmask_url(account),
            {
                "field": "phone",
                "record_id": account.subscriber_phone.pk,
                "basis": BASIS,
                "purpose": PURPOSE,
            },
        ),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert not AuditEvent.objects.filter(action="pii.viewed").exists()


def test_unmask_with_htmx_swaps_in_the_clear_value_with_its_purpose(legal_client, legal, account):
    record = ip_record()

    response = legal_client.post(
        unmask_url(account),
        {"field": "ip", "record_id": record.pk, "basis": BASIS, "purpose": PURPOSE},
        headers=HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="pii-ip-{record.pk}"' in body
    assert IP in body
    assert PURPOSE in body
    assert PHONE not in body
    assert IP6 not in body
    assert response["HX-Trigger"] == "pii-viewed"
    assert_pii_headers(response)
    event = AuditEvent.objects.get(action="pii.viewed")
    assert (event.actor, event.data["record_id"]) == (legal, record.pk)


def test_unmask_refused_is_a_form_error_with_status_200_and_no_value(legal_client, account):
    mark = last_event_id()

    response = legal_client.post(
        unmask_url(account),
        {
            "field": "phone",
            "record_id": account.subscriber_phone.pk,
            "basis": BASIS,
            "purpose": " ",
        },
        headers=HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "State why you need to see the value" in body
    assert mask_phone(PHONE) in body
    assert_no_clear_value(body)
    assert events_since(mark) == []


def test_unmask_without_htmx_shows_the_value_once_after_the_redirect(legal_client, account):
    phone_id = account.subscriber_phone.pk

    response = legal_client.post(
        unmask_url(account),
        {"field": "phone", "record_id": phone_id, "basis": BASIS, "purpose": PURPOSE},
    )

    assert response.status_code == 302
    assert response["Location"] == subscriber_url(account)
    assert_pii_headers(response)
    shown = legal_client.get(response["Location"]).content.decode()
    assert PHONE in shown
    assert PURPOSE in shown
    assert IP not in shown
    again = legal_client.get(response["Location"]).content.decode()
    assert_no_clear_value(again)
    assert AuditEvent.objects.filter(action="pii.viewed").count() == 1


def test_unmask_refused_without_htmx_re_renders_the_page_with_the_error(legal_client, account):
    record = ip_record()

    response = legal_client.post(
        unmask_url(account),
        {"field": "ip", "record_id": record.pk, "basis": BASIS, "purpose": "short"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "State why you need to see the value" in body
    assert_no_clear_value(body)
    assert_pii_headers(response)


def test_unmask_of_an_unknown_account_is_404(legal_client):
    response = legal_client.post(
        reverse("disclosures:subscriber_unmask", args=[999_999]),
        {"field": "phone", "record_id": 1, "basis": BASIS, "purpose": PURPOSE},
    )

    assert response.status_code == 404


def test_ip_records_are_keyset_paginated_newest_first(legal_client):
    account = make_account()
    give_subscriber_data(
        account,
        phone=None,
        ips=[(f"198.51.100.{i}", i, SEEN + timedelta(minutes=i // 2)) for i in range(60)],
    )

    first = legal_client.get(subscriber_url(account))
    cursor = first.context["next_cursor"]
    second = legal_client.get(subscriber_url(account), {"after": cursor}, headers=HTMX)

    first_ports = [row.port for row in first.context["ips"]]
    second_ports = [row.port for row in second.context["ips"]]
    assert len(first_ports) == 50
    assert len(second_ports) == 10
    assert first_ports[:2] == [59, 58]
    assert sorted(first_ports + second_ports) == list(range(60))
    assert second.context["next_cursor"] == ""
    assert 'id="ip-records"' in second.content.decode()
    assert "<html" not in second.content.decode()


def test_subscriber_page_query_count_does_not_grow(legal_client, django_assert_num_queries):
    account = make_account()
    give_subscriber_data(account, ips=[(f"198.51.100.{i}", i, SEEN) for i in range(2)])
    legal_client.get(subscriber_url(account))  # warm the session

    # 6 + the session's second factor + the unmask choices (requests, hourly share)
    with django_assert_num_queries(9) as small:
        legal_client.get(subscriber_url(account))
    give_subscriber_data(account, phone=None, ips=[(f"192.0.2.{i}", i, SEEN) for i in range(2, 80)])
    with django_assert_num_queries(len(small.captured_queries)):
        response = legal_client.get(subscriber_url(account))

    assert len(response.context["ips"]) == 50


def test_ip_records_region_query_count_does_not_grow(legal_client, django_assert_num_queries):
    account = make_account()
    give_subscriber_data(account, ips=[(f"198.51.100.{i}", i, SEEN) for i in range(3)])
    legal_client.get(subscriber_url(account))

    with django_assert_num_queries(9) as small:  # the same cells as the page: same queries
        legal_client.get(subscriber_url(account), headers=HTMX)
    expected = len(small.captured_queries)  # the next request empties the query log
    give_subscriber_data(
        account,
        phone=None,
        ips=[(f"192.0.2.{i}", i, SEEN - timedelta(hours=i)) for i in range(3, 120)],
    )
    first = legal_client.get(subscriber_url(account))
    with django_assert_num_queries(expected):
        response = legal_client.get(
            subscriber_url(account), {"after": first.context["next_cursor"]}, headers=HTMX
        )

    assert len(response.context["ips"]) == 50


def test_the_masked_value_partial_can_be_included_by_other_pages(rf, legal, moderator, account):
    from django.template.loader import render_to_string

    context = {
        "account_id": account.pk,
        "field": "phone",
        "record_id": account.subscriber_phone.pk,
        "masked": mask_phone(PHONE),
        "request_id": 42,
    }
    request = rf.get("/")
    request.user = legal

    html = render_to_string("disclosures/_masked_value.html", context, request=request)

    assert mask_phone(PHONE) in html
    assert f'action="{unmask_url(account)}"' in html
    assert 'name="request_id" value="42"' in html
    assert 'name="purpose"' in html
    assert_no_clear_value(html)
    request.user = moderator
    assert 'name="purpose"' not in render_to_string(
        "disclosures/_masked_value.html", context, request=request
    )
