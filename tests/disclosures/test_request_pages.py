"""The request list and overview: their selectors, screens, and who may use them."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from disclosures.models import LegalRequest
from disclosures.selectors import requests as request_selectors
from disclosures.services import intake
from tests.disclosures.factories import give_subscriber_data, make_authority, make_request
from tests.disclosures.helpers import PDF, form_data, nothing_written, request_events, upload

# Private files go to a fresh folder per test (tests/disclosures/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

# session, user, the session's second factor, user and group permissions, the open half, the
# finished half, the summary, the non-disclosure reviews due (one query, with their count) and
# the preservation holds expiring soon (likewise)
LIST_QUERIES = 10


# --- Selectors --------------------------------------------------------------------------


def _deadline(legal_request: LegalRequest, hours: float) -> LegalRequest:
    LegalRequest.objects.filter(pk=legal_request.pk).update(
        deadline_at=timezone.now() + timedelta(hours=hours)
    )
    return legal_request


def test_request_list_puts_open_requests_first_by_deadline(legal):
    late = _deadline(make_request(created_by=legal), 100)
    soon = _deadline(make_request(created_by=legal, emergency=True), 3)
    closed = _deadline(make_request(created_by=legal, status="closed"), 1)
    old_closed = _deadline(make_request(created_by=legal, status="released"), -500)
    middle = _deadline(make_request(created_by=legal, status="in_review"), 50)

    page = request_selectors.request_list_page(filters=request_selectors.RequestFilters())

    assert [r.pk for r in page.requests] == [soon.pk, middle.pk, late.pk, closed.pk, old_closed.pk]


def test_request_list_pages_follow_on_without_gaps(legal):
    made = [_deadline(make_request(created_by=legal), h) for h in (5, 1, 3, 4, 2)]
    made += [_deadline(make_request(created_by=legal, status="closed"), -h) for h in (1, 2)]
    filters = request_selectors.RequestFilters()

    seen, cursor = [], None
    for _page in range(10):
        page = request_selectors.request_list_page(filters=filters, cursor=cursor, size=2)
        seen += [r.pk for r in page.requests]
        if not page.next_cursor:
            break
        cursor = request_selectors.RequestCursor.decode(page.next_cursor)

    expected = [made[i].pk for i in (1, 4, 2, 3, 0)] + [made[5].pk, made[6].pk]
    assert seen == expected


def test_request_list_filters_by_status_instrument_and_country(legal):
    french = make_request(created_by=legal)
    german = make_request(created_by=legal, authority=make_authority(country="DE"))
    subpoena = make_request(created_by=legal, instrument="us_subpoena")
    closed = make_request(created_by=legal, status="closed")
    RF = request_selectors.RequestFilters

    def pks(**filters: str) -> set[int]:
        return {r.pk for r in request_selectors.request_list_page(filters=RF(**filters)).requests}

    assert pks(country="de") == {german.pk}
    assert pks(instrument="us_subpoena") == {subpoena.pk}
    assert pks(status="open") == {french.pk, german.pk, subpoena.pk}
    assert pks(status="finished") == {closed.pk}
    assert pks(status="closed") == {closed.pk}


# --- Screens ----------------------------------------------------------------------------


def test_home_lists_requests_with_countdowns_and_marks_emergencies(legal_client, legal):
    emergency = make_request(created_by=legal, emergency=True)
    normal = make_request(created_by=legal)

    response = legal_client.get(reverse("disclosures:home"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(emergency.reference) < page.index(normal.reference)
    assert f'class="is-emergency" data-request="{emergency.pk}"' in page
    assert f'data-request="{normal.pk}"' in page
    assert 'class="deadline' in page
    assert "data-deadline=" in page
    assert "no-store" in response["Cache-Control"]
    assert "1 emergency</span>" in page
    make_request(created_by=legal, emergency=True)
    assert "2 emergencies</span>" in legal_client.get(reverse("disclosures:home")).content.decode()


def test_home_htmx_filter_returns_only_the_table(legal_client, legal):
    make_request(created_by=legal, instrument="us_subpoena")
    shown = make_request(created_by=legal)

    response = legal_client.get(
        reverse("disclosures:home"), {"instrument": "epoc"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="request-table">')
    assert "<html" not in body
    assert 'id="request-filters"' not in body
    assert shown.reference in body
    assert "US subpoena" not in body


def test_home_bad_filter_shows_an_error_not_a_crash(legal_client):
    response = legal_client.get(reverse("disclosures:home"), {"status": "nonsense"})

    assert response.status_code == 200
    assert b"form-errors" in response.content


def test_home_query_count_does_not_grow_with_rows(legal_client, legal, django_assert_num_queries):
    for _ in range(3):
        make_request(created_by=legal)
    url = reverse("disclosures:home")
    legal_client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        legal_client.get(url)
    assert len(small.captured_queries) == LIST_QUERIES
    for n in range(17):
        make_request(created_by=legal, emergency=n % 3 == 0, authority=make_authority())
    with django_assert_num_queries(len(small.captured_queries)):
        response = legal_client.get(url)
    assert response.content.decode().count("data-request=") == 20


def test_request_new_form_renders(legal_client, authority):
    response = legal_client.get(reverse("disclosures:request_new"))

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert authority.name.encode() in response.content
    assert "no-store" in response["Cache-Control"]


def test_request_new_registers_and_redirects_to_the_overview(legal_client, valid):
    response = legal_client.post(
        reverse("disclosures:request_new"), form_data(valid, document=upload())
    )

    request = LegalRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosures:request", args=[request.pk])
    assert request.date_from == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert request.document_sha256 == hashlib.sha256(PDF).hexdigest()


def test_request_new_with_errors_rerenders_with_200_and_writes_nothing(
    legal_client, valid, private_storage
):
    response = legal_client.post(
        reverse("disclosures:request_new"),
        form_data(valid, targets="account_id:nobody", data_requested=[], document=upload()),
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "No target resolves to exactly one platform account." in body
    assert "Say which data is requested" in body
    nothing_written(private_storage)


def test_overview_shows_the_request_with_masked_phone_targets(legal_client, legal, valid, suspect):
    give_subscriber_data(suspect, phone="+33612345678")
    data = replace(valid, targets=("phone:+33612345678", "username:nobody_at_all"))
    request = intake.request_register(actor=legal, data=data, document=upload())

    response = legal_client.get(reverse("disclosures:request", args=[request.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "+33 6•• •• •• 78" in body
    assert "33612345678" not in body
    assert "6 12 34 56 78" not in body
    assert "@nobody_at_all" in body
    assert "No account" in body
    assert reverse("moderation:case", args=[valid.case_ids[0]]) in body
    assert "Covers this offence" in body
    assert reverse("disclosures:request_review", args=[request.pk]) in body  # the tabs
    assert reverse("disclosures:request_document", args=[request.pk]) in body
    assert "data-deadline=" in body
    assert "no-store" in response["Cache-Control"]


def test_overview_shows_when_the_policy_does_not_cover_the_offence(legal_client, legal, valid):
    data = replace(valid, received_at=datetime(2024, 3, 1, tzinfo=UTC))
    request = intake.request_register(actor=legal, data=data)

    response = legal_client.get(reverse("disclosures:request", args=[request.pk]))

    assert b"Does not cover this offence" in response.content


def test_acknowledge_button_records_acknowledgment(legal_client, legal):
    request = make_request(created_by=legal)

    response = legal_client.post(reverse("disclosures:request_acknowledge", args=[request.pk]))

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.acknowledged_at is not None
    again = legal_client.post(
        reverse("disclosures:request_acknowledge", args=[request.pk]), follow=True
    )
    assert b"already acknowledged" in again.content


def test_document_download_is_an_attachment_and_is_recorded(legal_client, legal, valid):
    request = intake.request_register(actor=legal, data=valid, document=upload())

    response = legal_client.get(reverse("disclosures:request_document", args=[request.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="order.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/pdf"
    event = request_events("document.downloaded", request).get()
    assert (event.actor, event.data["sha256"]) == (legal, request.document_sha256)


def test_tampered_document_is_not_served(legal_client, legal, valid, private_storage):
    request = intake.request_register(actor=legal, data=valid, document=upload())
    (private_storage / request.document).write_bytes(PDF + b"% changed")

    response = legal_client.get(reverse("disclosures:request_document", args=[request.pk]))

    assert response.status_code == 302
    assert request_events("document.integrity_failed", request).exists()
    assert not request_events("document.downloaded").exists()


def test_document_of_a_request_without_one_is_404(legal_client, legal):
    request = make_request(created_by=legal)

    response = legal_client.get(reverse("disclosures:request_document", args=[request.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["request", "request_document", "request_acknowledge"])
def test_missing_request_is_404(legal_client, name):
    method = legal_client.post if name == "request_acknowledge" else legal_client.get

    response = method(reverse(f"disclosures:{name}", args=[424242]))

    assert response.status_code == 404


VIEWS = [
    ("get", "disclosures:home", False),
    ("get", "disclosures:request_new", False),
    ("post", "disclosures:request_new", False),
    ("get", "disclosures:request", True),
    ("post", "disclosures:request_acknowledge", True),
    ("get", "disclosures:request_document", True),
]


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.AUDITOR, Role.SENIOR_MODERATOR])
@pytest.mark.parametrize(("method", "name", "with_id"), VIEWS)
def test_request_views_are_forbidden_to_non_legal_roles(
    make_user, client_for, legal, role, method, name, with_id
):
    request = make_request(created_by=legal)
    client = client_for(make_user(role))
    url = reverse(name, args=[request.pk] if with_id else [])

    response = getattr(client, method)(url)

    assert response.status_code == 403
    request.refresh_from_db()
    assert request.acknowledged_at is None
    assert not request_events("document.downloaded").exists()


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "disclosures:request_new"), ("post", "disclosures:request_acknowledge")],
)
def test_approver_cannot_register_or_acknowledge(approver_client, legal, method, name):
    request = make_request(created_by=legal)
    args = [request.pk] if name.endswith("acknowledge") else []

    response = getattr(approver_client, method)(reverse(name, args=args))

    assert response.status_code == 403


def test_approver_can_read_the_list_and_the_overview(approver_client, legal):
    request = make_request(created_by=legal)

    assert approver_client.get(reverse("disclosures:home")).status_code == 200
    response = approver_client.get(reverse("disclosures:request", args=[request.pk]))
    assert response.status_code == 200
    assert b"Record acknowledgment" not in response.content
