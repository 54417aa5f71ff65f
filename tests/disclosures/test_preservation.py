"""
Preservation orders (EPOC-PR, US §2703(f)): the hold placed, extended once, released,
withdrawn, expired and reminded of; records on hold kept out of the subscriber-data purge;
never a scope or a package; and the screens (review tab, holds panel, legal home, intake).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import tasks
from disclosures.exceptions import (
    ChecksIncomplete,
    DisclosureError,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
    StaleVersion,
)
from disclosures.models import LegalRequest, PreservationHold, Scope, SubscriberIp
from disclosures.selectors.preservation import holds_expiring, holds_panel
from disclosures.services import preservation, preservation_sweep, retention, review
from disclosures.services.preservation import HoldNotExtendable, NotAPreservationOrder
from disclosures.services.release import PackageNotReady, package_build
from tests.disclosures.factories import give_subscriber_data, make_account, make_request
from tests.disclosures.helpers import approved_request, form_data, pass_checks, upload
from tests.utils import race, race_errors, race_outcomes, requires_postgres

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status
Instrument = LegalRequest.Instrument
FROM = datetime(2026, 10, 1, tzinfo=UTC)
TO = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


# --- arrangement -----------------------------------------------------------------------------


def preservation_request(
    legal: User,
    *,
    instrument: str = Instrument.EPOC_PR,
    accounts: list | None = None,
    status: str = Status.IN_REVIEW,
    checks: bool = True,
    **overrides: Any,
) -> LegalRequest:
    """A preservation order in review; each target has records in its period (B8)."""
    accounts = accounts if accounts is not None else [make_account()]
    start = overrides.get("date_from", FROM)
    for n, account in enumerate(dict.fromkeys(accounts)):
        give_subscriber_data(
            account, phone=f"+3361234560{n % 10}", ips=[(f"203.0.113.{n + 1}", 51000, start + DAY)]
        )
    request = make_request(
        created_by=legal, status=status, instrument=instrument, accounts=accounts, **overrides
    )
    if checks:
        pass_checks(request, legal)
    return request


def preserving(legal: User, **kwargs: Any) -> LegalRequest:
    """A preservation order whose hold was placed through the service."""
    request = preservation_request(legal, **kwargs)
    preservation.hold_place(request_id=request.pk, actor=legal)
    request.refresh_from_db()
    return request


def events(action: str, legal_request: LegalRequest | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action)
    if legal_request is not None:
        found = found.filter(
            target_type="disclosures.legalrequest", target_id=str(legal_request.pk)
        )
    return list(found.order_by("id"))


def state(legal_request: LegalRequest) -> tuple:
    """What a refused operation must leave untouched."""
    legal_request.refresh_from_db()
    holds = PreservationHold.objects.filter(request=legal_request).order_by("pk")
    return (
        legal_request.status,
        legal_request.version,
        legal_request.outcome,
        AuditEvent.objects.exclude(action="authz.denied").count(),
        list(holds.values_list("expires_at", "extensions", "released_at", "reminded_at")),
    )


def expire(legal_request: LegalRequest, *, at: datetime) -> None:
    PreservationHold.objects.filter(request=legal_request).update(expires_at=at)


# --- placing the hold ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "days"), [(Instrument.EPOC_PR, 60), (Instrument.US_2703F, 90)]
)
def test_hold_place_holds_each_target_and_moves_to_preserving(legal, instrument, days):
    accounts = [make_account(), make_account()]
    request = preservation_request(legal, instrument=instrument, accounts=accounts)
    version = request.version
    before = timezone.now()

    holds = preservation.hold_place(
        request_id=request.pk, actor=legal, expected_version=request.version
    )

    request.refresh_from_db()
    assert (request.status, request.outcome) == (Status.PRESERVING, "preserved")
    assert request.effect_given_at is not None
    assert request.effect_given_at >= before
    assert request.version == version + 1
    assert not request.is_open  # the deadline is met once the hold is placed
    rows = list(PreservationHold.objects.filter(request=request).order_by("account_id"))
    assert [h.pk for h in rows] == sorted(h.pk for h in holds)
    assert {h.account_id for h in rows} == {a.pk for a in accounts}
    for hold in rows:
        assert hold.categories == ["ip_addresses", "phone_number"]
        assert (hold.date_from, hold.date_to) == (FROM, TO)
        assert hold.placed_by == legal
        assert hold.extensions == 0
        assert hold.released_at is None
        assert before + timedelta(days=days) <= hold.expires_at
        assert hold.expires_at <= timezone.now() + timedelta(days=days)
    (placed,) = events("preservation.placed", request)
    assert placed.actor == legal
    assert placed.data["holds"] == sorted(h.pk for h in rows)
    assert placed.data["accounts"] == 2
    assert placed.data["expires_at"] == rows[0].expires_at.isoformat()
    (moved,) = events("request.status_changed", request)
    assert (moved.data["from"], moved.data["to"]) == (Status.IN_REVIEW, Status.PRESERVING)
    assert not Scope.objects.filter(request=request).exists()


def test_hold_place_gives_one_hold_per_account_named_twice(legal):
    account = make_account()
    request = preservation_request(legal, accounts=[account, account])

    preservation.hold_place(request_id=request.pk, actor=legal)

    assert PreservationHold.objects.filter(request=request).count() == 1


def test_hold_place_refused_for_a_production_order_and_writes_nothing(legal):
    request = preservation_request(legal, instrument=Instrument.EPOC)
    before = state(request)

    with pytest.raises(NotAPreservationOrder):
        preservation.hold_place(request_id=request.pk, actor=legal)

    assert state(request) == before
    assert not PreservationHold.objects.exists()


def test_hold_place_refused_until_every_mandatory_check_passed(legal):
    request = preservation_request(legal, checks=False)
    before = state(request)

    with pytest.raises(ChecksIncomplete, match="mandatory checks"):
        preservation.hold_place(request_id=request.pk, actor=legal)

    assert state(request) == before
    assert not PreservationHold.objects.exists()


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.CLARIFICATION, Status.PRESERVING])
def test_hold_place_refused_outside_review(legal, status):
    request = preservation_request(legal, status=status)
    before = state(request)

    with pytest.raises(InvalidTransition):
        preservation.hold_place(request_id=request.pk, actor=legal)

    assert state(request) == before


def test_hold_place_refuses_a_stale_version(legal):
    request = preservation_request(legal)

    with pytest.raises(StaleVersion):
        preservation.hold_place(
            request_id=request.pk, actor=legal, expected_version=request.version - 1
        )

    assert not PreservationHold.objects.exists()


@pytest.mark.parametrize("role", [Role.LEGAL_APPROVER, Role.MODERATOR, Role.AUDITOR])
def test_hold_services_refuse_a_role_that_does_not_prepare_and_record_it(legal, make_user, role):
    other = make_user(role)
    request = preservation_request(legal)
    before = state(request)

    for service, kwargs in [
        (preservation.hold_place, {}),
        (preservation.hold_extend, {"reason": "Asked by letter"}),
        (preservation.hold_release, {"reason": "No longer needed"}),
    ]:
        with pytest.raises(NotPermitted):
            service(request_id=request.pk, actor=other, **kwargs)

    assert state(request) == before
    denied = events("authz.denied")
    assert [e.data["operation"] for e in denied] == ["hold_place", "hold_extend", "hold_release"]
    assert {(e.actor, e.target_id, e.data["rule"]) for e in denied} == {
        (other, str(request.pk), "NotPermitted")
    }


# --- extension -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "days"), [(Instrument.EPOC_PR, 30), (Instrument.US_2703F, 90)]
)
def test_hold_extend_adds_the_extension_once(legal, instrument, days):
    request = preserving(legal, instrument=instrument, accounts=[make_account(), make_account()])
    first = {h.pk: h.expires_at for h in PreservationHold.objects.filter(request=request)}
    PreservationHold.objects.filter(request=request).update(reminded_at=timezone.now())

    preservation.hold_extend(
        request_id=request.pk,
        actor=legal,
        reason="Letter of 2026-11-30 asks for 30 more days",
        expected_version=request.version,
    )

    for hold in PreservationHold.objects.filter(request=request):
        assert hold.expires_at == first[hold.pk] + timedelta(days=days)
        assert hold.extensions == 1
        assert hold.reminded_at is None  # the reminder is due again before the new expiry
    (extended,) = events("preservation.extended", request)
    assert extended.data["days"] == days
    assert extended.data["extensions"] == 1
    assert "Letter" not in str(extended.data)  # the reason only as a keyed hash
    assert extended.data["reason_hash"]
    request.refresh_from_db()
    assert request.status == Status.PRESERVING

    before = state(request)
    with pytest.raises(HoldNotExtendable, match="one extension"):
        preservation.hold_extend(request_id=request.pk, actor=legal, reason="Once more, please")
    assert state(request) == before


def test_hold_extend_refused_once_the_hold_expired(legal):
    request = preserving(legal)
    expire(request, at=timezone.now() - timedelta(minutes=1))
    before = state(request)

    with pytest.raises(HoldNotExtendable, match="expired"):
        preservation.hold_extend(request_id=request.pk, actor=legal, reason="Too late")

    assert state(request) == before


def test_hold_extend_needs_a_reason_and_a_preserving_request(legal):
    request = preserving(legal)
    with pytest.raises(InvalidRequest):
        preservation.hold_extend(request_id=request.pk, actor=legal, reason="  ")

    in_review = preservation_request(legal)
    with pytest.raises(HoldNotExtendable):
        preservation.hold_extend(request_id=in_review.pk, actor=legal, reason="Asked")


# --- release and withdrawal ------------------------------------------------------------------


def test_hold_release_ends_every_hold_and_closes_the_request(legal):
    request = preserving(legal, accounts=[make_account(), make_account()])

    released = preservation.hold_release(
        request_id=request.pk,
        actor=legal,
        reason="The production order was served",
        expected_version=request.version,
    )

    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.closed_at is not None
    assert request.outcome == "preserved"
    holds = list(PreservationHold.objects.filter(request=request))
    assert sorted(released) == sorted(h.pk for h in holds)
    for hold in holds:
        assert hold.released_at == request.closed_at
        assert hold.released_by == legal
        assert hold.release_reason == "The production order was served"
    (event,) = events("preservation.released", request)
    assert event.data["why"] == "released"
    assert event.data["holds"] == sorted(released)
    assert "production order" not in str(event.data)


def test_hold_release_refused_unless_preserving(legal):
    request = preservation_request(legal)

    with pytest.raises(InvalidTransition):
        preservation.hold_release(request_id=request.pk, actor=legal, reason="Not needed")


def test_withdrawal_of_a_preserving_request_releases_its_holds(legal):
    request = preserving(legal, accounts=[make_account(), make_account()])

    review.request_withdraw(
        request_id=request.pk, actor=legal, reason="The prosecutor withdrew the order"
    )

    request.refresh_from_db()
    assert (request.status, request.outcome) == (Status.WITHDRAWN, "withdrawn")
    holds = PreservationHold.objects.filter(request=request)
    assert holds.count() == 2
    assert not holds.filter(released_at__isnull=True).exists()
    assert set(holds.values_list("released_by", flat=True)) == {legal.pk}
    (event,) = events("preservation.released", request)
    assert event.data["why"] == "withdrawn"


# --- expiry and reminders (beat) -------------------------------------------------------------


def test_expiry_task_ends_expired_holds_closes_the_request_and_is_idempotent(legal):
    request = preserving(legal, accounts=[make_account(), make_account()])
    expire(request, at=timezone.now() - timedelta(minutes=1))

    assert tasks.sweep_preservation_holds() == {"expired": 2, "reminded": 0}

    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.closed_at is not None
    for hold in PreservationHold.objects.filter(request=request):
        assert hold.released_at is not None
        assert hold.released_by is None
        assert hold.release_reason == "expired"
    (event,) = events("preservation.released", request)
    assert (event.actor, event.data["why"]) == (None, "expired")
    trail = AuditEvent.objects.count()

    assert tasks.sweep_preservation_holds() == {"expired": 0, "reminded": 0}
    assert AuditEvent.objects.count() == trail


def test_expiry_closes_the_request_only_when_all_its_holds_ended(legal):
    first, second = make_account(), make_account()
    request = preserving(legal, accounts=[first, second])
    PreservationHold.objects.filter(request=request, account=first).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    assert preservation_sweep.holds_sweep()["expired"] == 1

    request.refresh_from_db()
    assert request.status == Status.PRESERVING
    assert PreservationHold.objects.get(account=second).released_at is None


def test_holds_not_yet_due_are_left_alone(legal):
    request = preserving(legal)

    assert preservation_sweep.holds_sweep() == {"expired": 0, "reminded": 0}

    request.refresh_from_db()
    assert request.status == Status.PRESERVING
    assert not events("preservation.expiry_reminder")


def test_expiry_reminder_is_sent_once_before_expiry_and_again_after_an_extension(legal, settings):
    settings.PRESERVATION_REMINDER_DAYS = 7
    request = preserving(legal, accounts=[make_account(), make_account()])
    soon = timezone.now() + timedelta(days=5)
    expire(request, at=soon)

    assert preservation_sweep.holds_sweep() == {"expired": 0, "reminded": 2}
    assert preservation_sweep.holds_sweep() == {"expired": 0, "reminded": 0}

    (event,) = events("preservation.expiry_reminder", request)
    assert event.data["expires_at"] == soon.isoformat()
    assert event.data["days_left"] == 5
    assert event.data["extensions_left"] == 1
    assert not PreservationHold.objects.filter(request=request, reminded_at__isnull=True).exists()

    request.refresh_from_db()
    preservation.hold_extend(request_id=request.pk, actor=legal, reason="Renewed request")
    expire(request, at=timezone.now() + timedelta(days=3))
    assert preservation_sweep.holds_sweep()["reminded"] == 2
    assert len(events("preservation.expiry_reminder", request)) == 2


# --- the subscriber-data purge ---------------------------------------------------------------

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OLD_FROM = datetime(2025, 1, 1, tzinfo=UTC)
OLD_TO = datetime(2025, 4, 1, tzinfo=UTC)


def _ips(account) -> set[str]:
    return {row.ip for row in SubscriberIp.objects.filter(account=account)}


@pytest.mark.parametrize("batch", [1000, 2])
def test_ip_purge_deletes_old_records_but_keeps_those_on_hold(legal, settings, monkeypatch, batch):
    settings.SUBSCRIBER_IP_RETENTION_DAYS = 365
    monkeypatch.setattr(retention, "PURGE_BATCH", batch)
    held, other, phone_only, released = (make_account() for _ in range(4))
    request = preserving(legal, accounts=[held], date_from=OLD_FROM, date_to=OLD_TO)
    for account in (other, phone_only, released):
        give_subscriber_data(account, phone=None, ips=[("198.51.100.2", 443, OLD_FROM + DAY)])
    # A hold on phone numbers only does not keep IP records; a released hold keeps nothing.
    preserving(
        legal,
        accounts=[phone_only],
        data_requested=["phone_number"],
        date_from=OLD_FROM,
        date_to=OLD_TO,
    )
    gone = preserving(legal, accounts=[released], date_from=OLD_FROM, date_to=OLD_TO)
    preservation.hold_release(request_id=gone.pk, actor=legal, reason="Not needed")
    give_subscriber_data(
        held,
        phone=None,
        ips=[
            ("198.51.100.10", 1, OLD_FROM),  # the hold's first instant: kept
            ("198.51.100.11", 2, OLD_TO - timedelta(microseconds=1)),  # last instant: kept
            ("198.51.100.12", 3, OLD_TO),  # the end is excluded: deleted
            ("198.51.100.13", 4, OLD_FROM - DAY),  # before the hold's period: deleted
        ],
    )
    give_subscriber_data(other, phone=None, ips=[("198.51.100.20", 5, NOW - 30 * DAY)])
    assert SubscriberIp.objects.count() == 11

    summary = retention.subscriber_ips_purge(now=NOW)

    assert _ips(held) == {"203.0.113.1", "198.51.100.10", "198.51.100.11"}
    assert _ips(other) == {"198.51.100.20"}  # within retention
    assert _ips(phone_only) == set()
    assert _ips(released) == set()
    assert (summary.deleted, summary.kept_on_hold) == (7, 3)
    purged = events("subscriber_data.purged")
    assert sum(e.data["deleted"] for e in purged) == 7
    assert sum(e.data["kept_on_hold"] for e in purged) == 3
    assert all(e.data["retention_days"] == 365 for e in purged)
    assert PreservationHold.objects.filter(request=request, released_at__isnull=True).exists()

    again = retention.subscriber_ips_purge(now=NOW)
    assert (again.deleted, again.kept_on_hold) == (0, 3)
    assert SubscriberIp.objects.count() == 4


def test_ip_purge_task_runs_the_purge(legal, settings):
    settings.SUBSCRIBER_IP_RETENTION_DAYS = 365
    account = make_account()
    give_subscriber_data(
        account, phone=None, ips=[("198.51.100.2", 443, timezone.now() - 400 * DAY)]
    )

    assert tasks.purge_subscriber_ips() == {"deleted": 1, "kept_on_hold": 0}
    assert not SubscriberIp.objects.exists()


def test_beat_schedule_runs_the_sweep_hourly_and_the_purge_daily(settings):
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["disclosures.tasks.sweep_preservation_holds"] == 60 * 60
    assert schedule["disclosures.tasks.purge_subscriber_ips"] == 24 * 60 * 60


# --- never a scope, never a package ----------------------------------------------------------


def test_package_build_is_refused_for_a_preservation_order(legal, approver):
    request = approved_request(legal, [approver], instrument=Instrument.EPOC_PR)

    with pytest.raises(PackageNotReady):
        package_build(request_id=request.pk, actor=legal)

    assert not request.packages.exists()


def test_scope_submit_is_refused_for_a_preservation_order(legal):
    request = preservation_request(legal)
    before = state(request)

    with pytest.raises(DisclosureError, match="hold"):
        review.scope_submit(request_id=request.pk, actor=legal)

    assert state(request) == before
    assert not Scope.objects.filter(request=request).exists()


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_extending_at_once_extend_once(make_user):
    officers = [make_user(Role.LEGAL_OFFICER) for _ in range(2)]
    request = preserving(officers[0])
    first = PreservationHold.objects.get(request=request).expires_at
    results = race(
        *[
            lambda u=user: preservation.hold_extend(
                request_id=request.pk, actor=u, reason="Renewed"
            )
            for user in officers
        ]
    )
    errors = race_errors(results, HoldNotExtendable)
    outcomes = race_outcomes(results, refusal=HoldNotExtendable, ok="extended")

    assert errors == []
    assert sorted(outcomes) == ["extended", "refused"]
    hold = PreservationHold.objects.get(request=request)
    assert (hold.extensions, hold.expires_at) == (1, first + timedelta(days=30))
    assert len(events("preservation.extended")) == 1


# --- the screens -----------------------------------------------------------------------------


def _url(name: str, legal_request: LegalRequest) -> str:
    return reverse(f"disclosures:{name}", args=[legal_request.pk])


def test_review_tab_offers_place_hold_instead_of_the_scope_freeze(legal, legal_client):
    request = preservation_request(legal)

    body = legal_client.get(_url("request_review", request)).content.decode()

    assert "Place hold" in body
    assert _url("hold_place", request) in body
    assert "Freeze the scope and submit for approval" not in body
    production = make_request(created_by=legal, status=Status.IN_REVIEW)
    body = legal_client.get(_url("request_review", production)).content.decode()
    assert "Freeze the scope and submit for approval" in body
    assert "Place hold" not in body


def test_place_hold_through_the_page_needs_the_confirmation(legal, legal_client):
    request = preservation_request(legal)
    before = state(request)
    data = {"hold-place-version": request.version}

    response = legal_client.post(_url("hold_place", request), data)

    assert response.status_code == 200
    assert "Tick the box to confirm" in response.content.decode()
    assert state(request) == before

    response = legal_client.post(_url("hold_place", request), {**data, "hold-place-confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == _url("request", request) + "#holds-panel"
    request.refresh_from_db()
    assert request.status == Status.PRESERVING
    assert PreservationHold.objects.filter(request=request).count() == 1


def test_place_hold_htmx_error_returns_only_the_form(legal, legal_client):
    request = preservation_request(legal, checks=False)
    data = {"hold-place-version": request.version, "hold-place-confirm": "on"}

    response = legal_client.post(_url("hold_place", request), data, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="hold-place-form"')
    assert "mandatory checks have not passed" in body
    assert not PreservationHold.objects.exists()

    pass_checks(request, legal)
    response = legal_client.post(_url("hold_place", request), data, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == _url("request", request) + "#holds-panel"


@pytest.mark.parametrize("name", ["hold_place", "hold_extend", "hold_release"])
def test_hold_pages_refuse_other_roles_and_record_it(legal, approver_client, name):
    request = preservation_request(legal)

    response = approver_client.post(_url(name, request), {"hold-place-confirm": "on"})

    assert response.status_code == 403
    (denied,) = events("authz.denied")
    assert denied.data["operation"] == name
    assert not PreservationHold.objects.exists()


def test_overview_shows_the_holds_panel_with_extend_and_release(legal, legal_client):
    account = make_account(platform_id="acct-held-1")
    request = preserving(legal, accounts=[account])

    body = legal_client.get(_url("request", request)).content.decode()

    assert 'id="holds-panel"' in body
    assert "acct-held-1" in body
    assert "expires in 60 days" in body
    assert "0 of 1" in body
    assert _url("hold_extend", request) in body
    assert _url("hold_release", request) in body
    other = make_request(created_by=legal)
    assert 'id="holds-panel"' not in legal_client.get(_url("request", other)).content.decode()


def test_approvers_see_the_holds_panel_without_its_forms(legal, approver_client):
    request = preserving(legal)

    body = approver_client.get(_url("request", request)).content.decode()

    assert 'id="holds-panel"' in body
    assert _url("hold_extend", request) not in body
    assert _url("hold_release", request) not in body


def test_extend_through_the_page_needs_the_confirmation(legal, legal_client):
    request = preserving(legal)
    before = state(request)
    data = {"hold-extend-version": request.version, "hold-extend-reason": "Letter of 1 Dec"}

    response = legal_client.post(_url("hold_extend", request), data)

    assert response.status_code == 200
    assert "Tick the box to confirm" in response.content.decode()
    assert state(request) == before

    response = legal_client.post(
        _url("hold_extend", request), {**data, "hold-extend-confirm": "on"}
    )

    assert response.status_code == 302
    assert PreservationHold.objects.get(request=request).extensions == 1
    body = legal_client.get(_url("request", request)).content.decode()
    assert _url("hold_extend", request) not in body
    assert "cannot be extended again" in body


def test_release_through_the_page_needs_the_confirmation(legal, legal_client):
    request = preserving(legal)
    before = state(request)
    data = {"hold-release-version": request.version, "hold-release-reason": "Not needed"}

    response = legal_client.post(
        _url("hold_release", request), data, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="holds-panel"' in body
    assert "<html" not in body
    assert "Tick the box to confirm" in body
    assert state(request) == before

    response = legal_client.post(
        _url("hold_release", request), {**data, "hold-release-confirm": "on"}
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert PreservationHold.objects.get(request=request).release_reason == "Not needed"


def test_a_stale_extend_form_is_refused_and_changes_nothing(legal, legal_client):
    request = preserving(legal)
    before = state(request)

    response = legal_client.post(
        _url("hold_extend", request),
        {
            "hold-extend-version": request.version - 1,
            "hold-extend-reason": "Letter",
            "hold-extend-confirm": "on",
        },
    )

    assert response.status_code == 200
    assert "changed since you loaded it" in response.content.decode()
    assert state(request) == before


def test_holds_panel_query_count_does_not_grow_with_holds(legal, legal_client):
    small = preserving(legal, accounts=[make_account()])
    large = preserving(legal, accounts=[make_account() for _ in range(8)])

    counts = []
    for request in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = legal_client.post(
                _url("hold_extend", request),
                {"hold-extend-version": request.version, "hold-extend-reason": "Letter"},
                headers={"HX-Request": "true"},
            )
        assert response.content.decode().count("data-hold=") == (1 if request is small else 8)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]

    with CaptureQueriesContext(connection) as queries:
        panel = holds_panel(large)
    assert len(queries.captured_queries) == 1
    assert len(panel.rows) == 8


def test_legal_home_lists_holds_expiring_soon_in_constant_queries(legal, legal_client, settings):
    settings.PRESERVATION_REMINDER_DAYS = 7
    soon = preserving(legal)
    expire(soon, at=timezone.now() + timedelta(days=3))
    later = preserving(legal)  # 60 days left: not listed

    with CaptureQueriesContext(connection) as small:
        body = legal_client.get(reverse("disclosures:home")).content.decode()
    assert "Preservation holds expiring soon" in body
    assert body.count("data-hold-expiring=") == 1
    assert soon.reference in body

    for _ in range(4):
        expire(preserving(legal), at=timezone.now() + timedelta(days=2))
    with CaptureQueriesContext(connection) as large:
        body = legal_client.get(reverse("disclosures:home")).content.decode()
    assert body.count("data-hold-expiring=") == 5
    assert len(large.captured_queries) == len(small.captured_queries)
    assert holds_expiring().total == 5
    assert later.reference not in [row.hold.request.reference for row in holds_expiring().rows]


@pytest.mark.parametrize(
    ("instrument", "issuer", "legal_basis"),
    [
        (Instrument.EPOC_PR, "prosecutor", "Regulation (EU) 2023/1543, Art. 6"),
        (Instrument.US_2703F, "police", "18 U.S.C. § 2703(f)"),
    ],
)
def test_intake_registers_preservation_orders(
    legal_client,
    valid,
    instrument,
    issuer,
    legal_basis,
):
    form = legal_client.get(reverse("disclosures:request_new")).content.decode()
    assert f'value="{instrument}"' in form

    response = legal_client.post(
        reverse("disclosures:request_new"),
        form_data(
            valid,
            instrument=instrument,
            issuer_type=issuer,
            legal_basis=legal_basis,
            document=upload(),
        ),
    )

    assert response.status_code == 302
    request = LegalRequest.objects.get()
    assert (request.instrument, request.is_preservation) == (instrument, True)


def test_intake_wants_a_validation_for_a_police_epoc_pr(legal_client, valid):
    response = legal_client.post(
        reverse("disclosures:request_new"),
        form_data(valid, instrument=Instrument.EPOC_PR, issuer_type="police", document=upload()),
    )

    assert response.status_code == 200
    assert "must be validated" in response.content.decode()
    assert not LegalRequest.objects.exists()
