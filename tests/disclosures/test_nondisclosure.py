"""
Non-disclosure orders without an end date: intake, the periodic review service, the reviews
due, the notices they hold back, and the screens.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.exceptions import InvalidRequest, NotPermitted, StaleVersion
from disclosures.models import LegalRequest, UserNotice
from disclosures.outbox_kinds import USER_NOTICE
from disclosures.selectors.nondisclosure import (
    nondisclosure_review_state,
    nondisclosure_reviews_due,
)
from disclosures.services import intake, notices
from disclosures.services.intake import RequestInput
from disclosures.services.nondisclosure import nondisclosure_review
from outbox.models import Delivery
from tests.disclosures.factories import make_account, make_authority, make_request
from tests.disclosures.helpers import escalated_case, form_data, released

# Private files go to a fresh folder per test (tests/disclosures/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

NDO = LegalRequest.NonDisclosure
REVIEWED = "request.nondisclosure_reviewed"
NOTE = "Court order of 2026-11-02 extends the gag."
# The same as the request list's LIST_QUERIES (tests/disclosures/test_intake.py).
HOME_QUERIES = 10


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def gagged(legal, *, reviewed_days_ago: float | None = 100, **overrides) -> LegalRequest:
    """A request under a §2705(b) order without an end date, last reviewed that long ago."""
    fields = {
        "nondisclosure": NDO.US_2705B,
        "instrument": LegalRequest.Instrument.US_2703D,
        "received_at": days_ago(200),
        "nondisclosure_reviewed_at": (
            days_ago(reviewed_days_ago) if reviewed_days_ago is not None else None
        ),
    }
    fields.update(overrides)
    return make_request(created_by=legal, **fields)


def reviews_of(legal_request: LegalRequest):
    return AuditEvent.objects.filter(
        action=REVIEWED, target_type="disclosures.legalrequest", target_id=str(legal_request.pk)
    )


def snapshot(legal_request: LegalRequest) -> tuple:
    """What a refused review must leave as it was."""
    row = LegalRequest.objects.values_list(
        "nondisclosure",
        "nondisclosure_expires_at",
        "nondisclosure_reviewed_at",
        "nondisclosure_review_note",
        "version",
    ).get(pk=legal_request.pk)
    return row, AuditEvent.objects.exclude(action="authz.denied").count()


def notice_statuses(legal_request: LegalRequest) -> set[str]:
    return set(UserNotice.objects.filter(request=legal_request).values_list("status", flat=True))


def in_days(days: float) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


# --- Intake ----------------------------------------------------------------------------------


@pytest.fixture
def valid() -> RequestInput:
    """A complete US order about one account, linked to a case escalated to legal."""
    suspect = make_account()
    return RequestInput(
        instrument=LegalRequest.Instrument.US_2703D,
        authority_id=make_authority(country="US").pk,
        issuer_type=LegalRequest.IssuerType.JUDGE,
        issuing_file_number="1:26-mj-00417",
        channel=LegalRequest.Channel.PORTAL,
        received_at=timezone.now() - timedelta(hours=1),
        legal_basis="18 U.S.C. § 2703(d)",
        offence_category="illegal_drugs",
        offence_description="Sale of narcotics through a channel",
        statement_of_reasons="The account administers a channel selling narcotics.",
        data_requested=("ip_addresses",),
        date_from=datetime(2026, 10, 1, 0, 0),
        date_to=datetime(2026, 11, 1, 0, 0),
        source_timezone="America/New_York",
        targets=(f"account_id:{suspect.platform_id}",),
        case_ids=(escalated_case(suspect).pk,),
    )


def test_request_register_accepts_an_order_without_end_date_as_reviewed_now(legal, valid):
    before = timezone.now()
    data = replace(valid, nondisclosure=NDO.US_2705B, nondisclosure_expires_at=None)

    request = intake.request_register(actor=legal, data=data)

    request.refresh_from_db()
    assert (request.nondisclosure, request.nondisclosure_expires_at) == (NDO.US_2705B, None)
    assert before <= request.nondisclosure_reviewed_at <= timezone.now()
    assert request.has_indefinite_nondisclosure


def test_request_register_with_an_end_date_or_no_order_stamps_no_review(legal, valid):
    dated = intake.request_register(
        actor=legal,
        data=replace(valid, nondisclosure=NDO.FR_SECRET, nondisclosure_expires_at=in_days(30)),
    )
    plain = intake.request_register(actor=legal, data=valid)

    assert dated.nondisclosure_reviewed_at is None
    assert plain.nondisclosure_reviewed_at is None
    assert nondisclosure_review_state(dated) is None


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"nondisclosure_expires_at": datetime(2030, 1, 1, tzinfo=UTC)}, id="no-order"),
        pytest.param(
            {"nondisclosure": NDO.US_2705B, "nondisclosure_expires_at": datetime(2030, 1, 1)},
            id="naive",
        ),
        pytest.param(
            {"nondisclosure": NDO.US_2705B, "nondisclosure_expires_at": days_ago(1)}, id="past"
        ),
    ],
)
def test_request_register_still_refuses_a_bad_expiry(legal, valid, overrides):
    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=replace(valid, **overrides))

    assert "nondisclosure_expires_at" in refused.value.errors
    assert not LegalRequest.objects.exists()


def test_request_new_form_accepts_an_empty_expiry_and_says_what_it_means(legal_client, valid):
    page = legal_client.get(reverse("disclosures:request_new")).content.decode()
    assert "no end date" in page
    assert "reviewed periodically" in page

    response = legal_client.post(
        reverse("disclosures:request_new"), form_data(valid, nondisclosure=NDO.US_2705B)
    )

    request = LegalRequest.objects.get()
    assert response.status_code == 302
    assert request.has_indefinite_nondisclosure
    assert request.nondisclosure_reviewed_at is not None


# --- The review service ----------------------------------------------------------------------


def test_still_in_force_stamps_the_review_and_writes_one_event(legal):
    request = gagged(legal)
    before = timezone.now()

    nondisclosure_review(
        request_id=request.pk,
        actor=legal,
        outcome="still_in_force",
        note=f"  {NOTE}  ",
        expected_version=request.version,
    )

    request.refresh_from_db()
    assert before <= request.nondisclosure_reviewed_at <= timezone.now()
    assert (request.nondisclosure, request.nondisclosure_expires_at) == (NDO.US_2705B, None)
    assert request.nondisclosure_review_note == NOTE
    assert request.version == 2
    event = reviews_of(request).get()
    assert (event.actor, event.data["outcome"]) == (legal, "still_in_force")
    assert event.data["nondisclosure"] == NDO.US_2705B
    assert event.data["expires_at"] is None
    reviewed_at = datetime.fromisoformat(event.data["reviewed_at"])
    assert reviewed_at == request.nondisclosure_reviewed_at
    assert datetime.fromisoformat(event.data["next_review_due_at"]) == reviewed_at + timedelta(
        days=90
    )
    assert NOTE not in str(event.data)
    assert event.data["note_hash"]
    assert not nondisclosure_reviews_due().total


def test_ends_gives_the_order_its_end_date(legal):
    request = gagged(legal)
    ends = in_days(45)

    nondisclosure_review(
        request_id=request.pk, actor=legal, outcome="ends", note=NOTE, expires_at=ends
    )

    request.refresh_from_db()
    assert (request.nondisclosure, request.nondisclosure_expires_at) == (NDO.US_2705B, ends)
    assert not request.has_indefinite_nondisclosure
    event = reviews_of(request).get()
    assert event.data["outcome"] == "ends"
    assert datetime.fromisoformat(event.data["expires_at"]) == ends
    assert event.data["next_review_due_at"] is None
    assert not nondisclosure_reviews_due().total


def test_lifted_ends_the_order(legal):
    request = gagged(legal)

    nondisclosure_review(request_id=request.pk, actor=legal, outcome="lifted", note=NOTE)

    request.refresh_from_db()
    assert (request.nondisclosure, request.nondisclosure_expires_at) == (NDO.NONE, None)
    event = reviews_of(request).get()
    assert (event.data["outcome"], event.data["nondisclosure"]) == ("lifted", NDO.US_2705B)


def test_an_order_with_an_end_date_can_be_lifted(legal):
    expires = in_days(20)
    request = make_request(
        created_by=legal, nondisclosure=NDO.FR_SECRET, nondisclosure_expires_at=expires
    )

    nondisclosure_review(request_id=request.pk, actor=legal, outcome="lifted", note=NOTE)

    request.refresh_from_db()
    assert (request.nondisclosure, request.nondisclosure_expires_at) == (NDO.NONE, None)
    event = reviews_of(request).get()
    assert datetime.fromisoformat(event.data["previous_expires_at"]) == expires


def test_lifted_sends_the_deferred_notices_at_once(legal, approver):
    request, _package = released(
        legal, approver, instrument=LegalRequest.Instrument.US_2703D, nondisclosure=NDO.US_2705B
    )
    assert notice_statuses(request) == {UserNotice.Status.DEFERRED}

    nondisclosure_review(request_id=request.pk, actor=legal, outcome="lifted", note=NOTE)

    assert notice_statuses(request) == {UserNotice.Status.SENT}
    assert Delivery.objects.filter(kind=USER_NOTICE).count() == 2
    assert reviews_of(request).count() == 1


def test_still_in_force_keeps_the_notices_deferred(legal, approver):
    request, _package = released(
        legal, approver, instrument=LegalRequest.Instrument.US_2703D, nondisclosure=NDO.US_2705B
    )
    request.refresh_from_db()

    nondisclosure_review(request_id=request.pk, actor=legal, outcome="still_in_force", note=NOTE)

    assert notice_statuses(request) == {UserNotice.Status.DEFERRED}
    assert not Delivery.objects.filter(kind=USER_NOTICE).exists()
    assert notices.notices_send_due(now=timezone.now() + timedelta(days=3650)) == 0


def test_ends_redefers_the_notices_until_the_new_date_then_beat_sends(legal, approver):
    request, _package = released(
        legal, approver, instrument=LegalRequest.Instrument.US_2703D, nondisclosure=NDO.US_2705B
    )
    ends = in_days(10)

    nondisclosure_review(
        request_id=request.pk, actor=legal, outcome="ends", note=NOTE, expires_at=ends
    )

    rows = list(UserNotice.objects.filter(request=request))
    assert {(n.status, n.due_at) for n in rows} == {(UserNotice.Status.DEFERRED, ends)}
    assert "without expiry" not in rows[0].deferred_reason
    assert notices.notices_send_due(now=ends + timedelta(minutes=1)) == 2


def test_beat_sends_the_notices_of_a_lifted_order_missed_after_the_review(legal, approver):
    request, _package = released(
        legal, approver, instrument=LegalRequest.Instrument.US_2703D, nondisclosure=NDO.US_2705B
    )
    # As if the re-assessment right after the review had failed: the order is gone, the
    # notices are still deferred "without expiry".
    LegalRequest.objects.filter(pk=request.pk).update(nondisclosure=NDO.NONE)

    assert notices.notices_send_due() == 2
    assert notice_statuses(request) == {UserNotice.Status.SENT}


def test_review_by_a_legal_approver_is_refused_and_writes_only_the_denial(approver, legal):
    request = gagged(legal)
    before = snapshot(request)

    with pytest.raises(NotPermitted):
        nondisclosure_review(request_id=request.pk, actor=approver, outcome="lifted", note=NOTE)

    assert snapshot(request) == before
    denial = AuditEvent.objects.get(action="authz.denied")
    assert denial.data == {"operation": "nondisclosure_review", "rule": "NotPermitted"}
    assert denial.target_id == str(request.pk)


BAD_REVIEWS = {
    "note_empty": ({"note": ""}, "note"),
    "note_blank": ({"note": "   \n "}, "note"),
    "note_too_long": ({"note": "x" * 2001}, "note"),
    "outcome_unknown": ({"outcome": "forgotten"}, "outcome"),
    "outcome_blank": ({"outcome": ""}, "outcome"),
    "ends_without_date": ({"outcome": "ends"}, "expires_at"),
    "ends_in_the_past": ({"outcome": "ends", "expires_at": days_ago(1)}, "expires_at"),
    "ends_now": ({"outcome": "ends", "expires_at": timezone.now()}, "expires_at"),
    "ends_naive": ({"outcome": "ends", "expires_at": datetime(2030, 1, 1)}, "expires_at"),
    "date_with_still_in_force": ({"expires_at": datetime(2030, 1, 1, tzinfo=UTC)}, "expires_at"),
    "date_with_lifted": (
        {"outcome": "lifted", "expires_at": datetime(2030, 1, 1, tzinfo=UTC)},
        "expires_at",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REVIEWS))
def test_review_with_bad_input_says_why_and_writes_nothing(legal, case):
    overrides, field = BAD_REVIEWS[case]
    request = gagged(legal)
    before = snapshot(request)
    arguments = {"outcome": "still_in_force", "note": NOTE, **overrides}

    with pytest.raises(InvalidRequest) as refused:
        nondisclosure_review(request_id=request.pk, actor=legal, **arguments)

    assert field in refused.value.errors
    assert snapshot(request) == before


@pytest.mark.parametrize("outcome", ["still_in_force", "ends", "lifted"])
def test_review_of_a_request_without_an_order_is_refused(legal, outcome):
    request = make_request(created_by=legal)
    before = snapshot(request)
    ends = in_days(5) if outcome == "ends" else None

    with pytest.raises(InvalidRequest) as refused:
        nondisclosure_review(
            request_id=request.pk, actor=legal, outcome=outcome, note=NOTE, expires_at=ends
        )

    assert "outcome" in refused.value.errors
    assert snapshot(request) == before


@pytest.mark.parametrize("outcome", ["still_in_force", "ends"])
def test_an_order_with_an_end_date_can_only_be_lifted(legal, outcome):
    request = make_request(
        created_by=legal, nondisclosure=NDO.FR_SECRET, nondisclosure_expires_at=in_days(20)
    )
    before = snapshot(request)
    ends = in_days(40) if outcome == "ends" else None

    with pytest.raises(InvalidRequest) as refused:
        nondisclosure_review(
            request_id=request.pk, actor=legal, outcome=outcome, note=NOTE, expires_at=ends
        )

    assert "outcome" in refused.value.errors
    assert snapshot(request) == before


def test_review_made_on_a_stale_page_is_refused(legal):
    request = gagged(legal)
    nondisclosure_review(
        request_id=request.pk,
        actor=legal,
        outcome="still_in_force",
        note=NOTE,
        expected_version=request.version,
    )
    before = snapshot(request)

    with pytest.raises(StaleVersion):
        nondisclosure_review(
            request_id=request.pk,
            actor=legal,
            outcome="lifted",
            note=NOTE,
            expected_version=request.version,
        )

    assert snapshot(request) == before


# --- The reviews due -------------------------------------------------------------------------


def test_reviews_due_are_exactly_the_overdue_orders_without_end_date_oldest_first(legal):
    overdue = gagged(legal, reviewed_days_ago=100)
    never_reviewed = gagged(legal, reviewed_days_ago=None, received_at=days_ago(120))
    closed = gagged(legal, reviewed_days_ago=95, status=LegalRequest.Status.CLOSED)
    gagged(legal, reviewed_days_ago=10)  # reviewed recently
    gagged(legal, reviewed_days_ago=None, received_at=days_ago(30))  # received recently
    make_request(
        created_by=legal,
        received_at=days_ago(300),
        nondisclosure=NDO.US_2705B,
        nondisclosure_expires_at=in_days(30),
    )  # has an end date
    make_request(created_by=legal, received_at=days_ago(300))  # no order

    due = nondisclosure_reviews_due()

    assert [row.request.pk for row in due.rows] == [never_reviewed.pk, overdue.pk, closed.pk]
    assert due.total == 3
    first = due.rows[0].review
    assert first.last_reviewed_at == never_reviewed.received_at
    assert first.due_at == never_reviewed.received_at + timedelta(days=90)
    assert first.overdue


def test_reviews_due_with_a_limit_still_count_them_all(legal):
    for days in (200, 150, 100):
        gagged(legal, reviewed_days_ago=days)

    due = nondisclosure_reviews_due(limit=2)

    assert len(due.rows) == 2
    assert (due.total, due.more) == (3, 1)
    assert nondisclosure_reviews_due(limit=5).more == 0
    assert nondisclosure_reviews_due(limit=5).total == 3


def test_reviews_due_follow_the_review_period_setting(legal, settings):
    gagged(legal, reviewed_days_ago=40)
    assert nondisclosure_reviews_due().total == 0

    settings.NONDISCLOSURE_REVIEW_DAYS = 30

    assert nondisclosure_reviews_due().total == 1


# --- Screens ---------------------------------------------------------------------------------


def overview_url(legal_request: LegalRequest) -> str:
    return reverse("disclosures:request", args=[legal_request.pk])


def review_url(legal_request: LegalRequest) -> str:
    return reverse("disclosures:request_nondisclosure_review", args=[legal_request.pk])


def test_overview_shows_when_the_order_was_reviewed_and_is_due(legal_client, legal):
    request = gagged(legal, reviewed_days_ago=100)
    last = request.nondisclosure_reviewed_at

    body = legal_client.get(overview_url(request)).content.decode()

    assert "US 18 U.S.C. §2705(b) order, no end date" in body
    assert f"last reviewed {last:%Y-%m-%d}" in body
    assert f"next review due {last + timedelta(days=90):%Y-%m-%d}" in body
    assert '<span class="deadline overdue">overdue</span>' in body
    assert review_url(request) in body


def test_overview_shows_no_review_form_to_an_approver(client_for, approver, legal):
    request = gagged(legal, reviewed_days_ago=5)

    body = client_for(approver).get(overview_url(request)).content.decode()

    assert "no end date" in body
    assert "overdue</span>" not in body
    assert review_url(request) not in body


def _post(legal_request: LegalRequest, **fields) -> dict:
    data = {"ndo-version": legal_request.version, "ndo-outcome": "still_in_force", "ndo-note": NOTE}
    data.update({f"ndo-{name}": value for name, value in fields.items()})
    return data


def test_review_form_records_the_review_and_redirects(legal_client, legal):
    request = gagged(legal)

    response = legal_client.post(review_url(request), _post(request))

    assert response.status_code == 302
    assert response["Location"] == overview_url(request)
    assert reviews_of(request).count() == 1
    page = legal_client.get(response["Location"]).content.decode()
    assert "Review of the non-disclosure order recorded." in page
    assert NOTE in page
    assert "overdue</span>" not in page


def test_review_form_with_an_end_date_through_htmx_redirects_the_client(legal_client, legal):
    request = gagged(legal)
    ends = in_days(30)

    response = legal_client.post(
        review_url(request),
        _post(request, outcome="ends", expires_at=ends.strftime("%Y-%m-%dT%H:%M")),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == overview_url(request)
    request.refresh_from_db()
    assert request.nondisclosure_expires_at == ends.replace(second=0)


def test_review_form_with_errors_through_htmx_returns_the_region(legal_client, legal):
    request = gagged(legal)
    before = snapshot(request)

    response = legal_client.post(
        review_url(request),
        _post(request, outcome="ends", expires_at="2020-01-01T00:00"),
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="nondisclosure-panel"')
    assert "<html" not in body
    assert "The end date must be in the future." in body
    assert snapshot(request) == before


def test_review_form_with_errors_without_htmx_rerenders_the_page(legal_client, legal):
    request = gagged(legal)
    before = snapshot(request)

    response = legal_client.post(review_url(request), _post(request, note=""))

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert 'id="nondisclosure-panel"' in response.content.decode()
    assert snapshot(request) == before


def test_review_form_on_a_stale_page_says_so(legal_client, legal):
    request = gagged(legal)
    stale = _post(request)
    LegalRequest.objects.filter(pk=request.pk).update(version=request.version + 1)

    response = legal_client.post(review_url(request), stale, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "The request changed since you loaded it" in response.content.decode()
    assert not reviews_of(request).exists()


def test_review_form_by_an_approver_is_forbidden_and_recorded(client_for, approver, legal):
    request = gagged(legal)
    client = client_for(approver)
    before = snapshot(request)

    response = client.post(review_url(request), _post(request))

    assert response.status_code == 403
    assert snapshot(request) == before
    assert AuditEvent.objects.filter(action="authz.denied", target_id=str(request.pk)).count() == 1


def test_review_form_for_a_missing_request_is_404(legal_client, legal):
    response = legal_client.post(
        reverse("disclosures:request_nondisclosure_review", args=[999_999]),
        {"ndo-version": 1, "ndo-outcome": "lifted", "ndo-note": NOTE},
    )

    assert response.status_code == 404


def test_review_form_get_is_not_allowed(legal_client, legal):
    assert legal_client.get(review_url(gagged(legal))).status_code == 405


def test_home_lists_the_reviews_due_with_links(legal_client, legal):
    due = gagged(legal, reviewed_days_ago=120, status=LegalRequest.Status.CLOSED)
    gagged(legal, reviewed_days_ago=3)

    body = legal_client.get(reverse("disclosures:home")).content.decode()

    assert "Non-disclosure reviews due" in body
    assert body.count("data-review-due=") == 1
    assert f'href="{overview_url(due)}#nondisclosure-panel"' in body


def test_home_without_reviews_due_shows_no_panel(legal_client, legal):
    gagged(legal, reviewed_days_ago=3)

    body = legal_client.get(reverse("disclosures:home")).content.decode()

    assert "Non-disclosure reviews due" not in body


def test_home_query_count_does_not_grow_with_reviews_due(
    legal_client, legal, django_assert_num_queries
):
    for _ in range(2):
        gagged(legal)
    url = reverse("disclosures:home")
    legal_client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        legal_client.get(url)
    assert len(small.captured_queries) == HOME_QUERIES
    for n in range(18):
        gagged(legal, reviewed_days_ago=100 + n, status=LegalRequest.Status.CLOSED)
    with django_assert_num_queries(HOME_QUERIES):
        response = legal_client.get(url)
    body = response.content.decode()
    assert body.count("data-review-due=") == 10
    assert "and 10 more" in body


def test_the_intake_forms_help_texts_are_tied_to_their_fields(client_for, make_user):
    """Screen readers announce a field's help: aria-describedby must name the help's id."""
    import re

    from accounts.roles import Role

    page = client_for(make_user(Role.LEGAL_OFFICER)).get(reverse("disclosures:request_new"))
    html = page.content.decode()
    described = set(re.findall(r'aria-describedby="([^"]+)"', html))

    assert described
    for help_id in described:
        assert f'id="{help_id}"' in html
