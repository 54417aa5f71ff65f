"""Request intake: validation, target resolution, documents, policy, deadlines, and its screens."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import crypto
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.models import Authority, LegalRequest, RequestTarget
from disclosures.selectors import requests as request_selectors
from disclosures.services import intake
from disclosures.services.intake import RequestInput
from moderation.models import Case, Decision
from tests.disclosures.factories import (
    give_subscriber_data,
    make_account,
    make_authority,
    make_request,
)
from tests.disclosures.helpers import PDF, escalated_case, form_data, upload
from tests.moderation.factories import make_case
from tests.utils import race, requires_postgres

# Private files go to a fresh folder per test (tests/disclosures/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

# session, user, the session's second factor, user and group permissions, the open half, the
# finished half, the summary, the non-disclosure reviews due (one query, with their count) and
# the preservation holds expiring soon (likewise)
LIST_QUERIES = 10
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def stored_files(private_storage) -> list:
    folder = private_storage / "documents"
    return sorted(folder.iterdir()) if folder.exists() else []


def decided_case(account, moderator, *, actions=("remove_content",), status="in_force") -> Case:
    case = make_case(subject__author_id=account.platform_id)
    Decision.objects.create(case=case, moderator=moderator, actions=list(actions), status=status)
    return case


def nothing_written(private_storage) -> None:
    assert not LegalRequest.objects.exists()
    assert not RequestTarget.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["request.received", "document.stored"])
    assert stored_files(private_storage) == []


def events(action: str, request: LegalRequest | None = None):
    found = AuditEvent.objects.filter(action=action)
    if request is not None:
        found = found.filter(target_type="disclosures.legalrequest", target_id=str(request.pk))
    return found


# --- Registering ------------------------------------------------------------------------


def test_request_register_records_request_targets_cases_policy_and_deadline(
    legal, valid, suspect, evidence
):
    request = intake.request_register(actor=legal, data=valid)

    request.refresh_from_db()
    assert request.reference == f"LR-{request.received_at:%Y}-{request.pk:05d}"
    assert request.status == LegalRequest.Status.RECEIVED
    assert request.policy.version == 2
    assert request.deadline_at == request.received_at + timedelta(days=10)
    assert request.deadline_rule == "EPOC_ART10_3_10D"
    assert request.data_requested == ["ip_addresses", "phone_number"]
    assert list(request.linked_cases.all()) == [evidence]
    target = request.targets.get()
    assert (target.kind, target.value, target.account, target.resolution) == (
        "account_id",
        suspect.platform_id,
        suspect,
        "unique",
    )
    assert target.value_index == crypto.blind_index(suspect.platform_id, kind="account_id")


def test_request_register_stores_the_period_in_utc_and_keeps_its_time_zone(legal, valid):
    request = intake.request_register(actor=legal, data=valid)

    request.refresh_from_db()
    assert request.date_from == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # CEST, UTC+2
    assert request.date_to == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # CET, UTC+1
    assert request.source_timezone == "Europe/Paris"


def test_request_register_reference_is_unique_per_request(legal, valid):
    first = intake.request_register(actor=legal, data=valid)
    second = intake.request_register(actor=legal, data=valid)

    assert first.reference != second.reference
    assert second.reference.endswith(f"-{second.pk:05d}")


def test_request_register_records_received_event_without_identifiers(legal, valid, suspect):
    phone_target = make_account(username="othername")
    give_subscriber_data(phone_target, phone="+33611223344")
    data = replace(
        valid,
        targets=(
            f"account_id:{suspect.platform_id}",
            "username:@othername",
            "phone:+33 6 11 22 33 44",
        ),
        case_ids=(*valid.case_ids, escalated_case(phone_target).pk),
    )

    request = intake.request_register(actor=legal, data=data)

    event = events("request.received", request).get()
    assert event.actor == legal
    assert event.data["reference"] == request.reference
    assert event.data["instrument"] == "epoc"
    assert event.data["authority"] == request.authority_id
    assert event.data["emergency"] is False
    assert event.data["targets"] == 3
    assert event.data["resolutions"] == {"unique": 3, "none": 0, "ambiguous": 0}
    payload = json.dumps(event.data)
    for clear in (suspect.platform_id, "othername", "33611223344", "+33 6 11"):
        assert clear not in payload
    assert crypto.blind_index("+33611223344", kind="phone") in event.data["target_indexes"]


def test_request_register_by_someone_without_prepare_permission_is_refused_and_recorded(
    make_user, valid, private_storage
):
    moderator = make_user(Role.MODERATOR)

    with pytest.raises(NotPermitted):
        intake.request_register(actor=moderator, data=valid)

    nothing_written(private_storage)
    denial = AuditEvent.objects.get(action="authz.denied")
    assert denial.data["operation"] == "request_register"


# --- Validation: every rule, nothing written ---------------------------------------------


def _in(days: float) -> datetime:
    return timezone.now() + timedelta(days=days)


BAD_INPUT = {
    "instrument": {"instrument": "fax_from_a_friend"},
    "authority_missing": {"authority_id": None},
    "authority_unknown": {"authority_id": 987654},
    "issuer_type": {"issuer_type": "journalist"},
    "issuing_file_number_blank": {"issuing_file_number": "  "},
    "issuing_file_number_garbage": {"issuing_file_number": "<script>"},
    "channel": {"channel": "pigeon"},
    "received_at_missing": {"received_at": None},
    "received_at_naive": {"received_at": datetime(2026, 11, 1, 10, 0)},
    "received_at_future": {"received_at": _in(1)},
    "legal_basis": {"legal_basis": ""},
    "offence_category_unknown": {"offence_category": "jaywalking"},
    "offence_category_blank": {"offence_category": ""},
    "offence_description": {"offence_description": " "},
    "statement_of_reasons": {"statement_of_reasons": ""},
    "data_requested_empty": {"data_requested": ()},
    "data_requested_other": {"data_requested": ("ip_addresses", "messages")},
    "date_from_missing": {"date_from": None},
    "dates_reversed": {"date_from": datetime(2026, 11, 1), "date_to": datetime(2026, 10, 1)},
    "dates_equal": {"date_from": datetime(2026, 11, 1), "date_to": datetime(2026, 11, 1)},
    "dates_unbounded": {"date_from": datetime(2020, 1, 1), "date_to": datetime(2026, 11, 1)},
    "date_in_dst_gap": {"date_from": datetime(2026, 3, 29, 2, 30)},
    "timezone_unknown": {"source_timezone": "Mars/Olympus_Mons"},
    "timezone_offset": {"source_timezone": "+02:00"},
    "timezone_blank": {"source_timezone": ""},
    "emergency_unjustified": {"emergency": True, "emergency_justification": " "},
    "nondisclosure_expired": {"nondisclosure": "fr_secret", "nondisclosure_expires_at": _in(-1)},
    "nondisclosure_naive_expiry": {
        "nondisclosure": "fr_secret",
        "nondisclosure_expires_at": datetime(2030, 1, 1),
    },
    "nondisclosure_unknown": {"nondisclosure": "pinky_swear"},
    "expiry_without_nondisclosure": {"nondisclosure_expires_at": _in(30)},
    "epoc_police_without_validation": {"issuer_type": "police"},
    "targets_empty": {"targets": ()},
    "targets_blank_lines": {"targets": ("", "   ")},
    "target_unknown_kind": {"targets": ("email:someone@example.org",)},
    "target_bad_phone": {"targets": ("phone:12",)},
    "target_bad_username": {"targets": ("username:has spaces",)},
    "targets_none_resolve": {"targets": ("account_id:nobody-here", "username:ghost")},
    "targets_too_many": {"targets": tuple(f"account_id:a{n}" for n in range(51))},
    "cases_empty": {"case_ids": ()},
    "cases_unknown": {"case_ids": (999999,)},
}

EXPECTED_FIELD = {
    "authority_missing": "authority",
    "authority_unknown": "authority",
    "issuing_file_number_blank": "issuing_file_number",
    "issuing_file_number_garbage": "issuing_file_number",
    "received_at_missing": "received_at",
    "received_at_naive": "received_at",
    "received_at_future": "received_at",
    "offence_category_unknown": "offence_category",
    "offence_category_blank": "offence_category",
    "data_requested_empty": "data_requested",
    "data_requested_other": "data_requested",
    "date_from_missing": "date_from",
    "dates_reversed": "date_to",
    "dates_equal": "date_to",
    "dates_unbounded": "date_to",
    "date_in_dst_gap": "date_from",
    "timezone_unknown": "source_timezone",
    "timezone_offset": "source_timezone",
    "timezone_blank": "source_timezone",
    "emergency_unjustified": "emergency_justification",
    "nondisclosure_expired": "nondisclosure_expires_at",
    "nondisclosure_naive_expiry": "nondisclosure_expires_at",
    "expiry_without_nondisclosure": "nondisclosure_expires_at",
    "nondisclosure_unknown": "nondisclosure",
    "epoc_police_without_validation": "validating_file_number",
    "targets_empty": "targets",
    "targets_blank_lines": "targets",
    "target_unknown_kind": "targets",
    "target_bad_phone": "targets",
    "target_bad_username": "targets",
    "targets_none_resolve": "targets",
    "targets_too_many": "targets",
    "cases_empty": "case_ids",
    "cases_unknown": "case_ids",
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_request_register_with_bad_input_writes_nothing(case, legal, valid, private_storage):
    data = replace(valid, **BAD_INPUT[case])

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=data, document=upload())

    assert EXPECTED_FIELD.get(case, case) in refused.value.errors
    nothing_written(private_storage)


def test_request_register_reports_every_problem_at_once(legal, valid):
    data = replace(valid, instrument="", channel="", legal_basis="", data_requested=())

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=data)

    assert {"instrument", "channel", "legal_basis", "data_requested"} <= set(refused.value.errors)


def test_request_register_accepts_a_validated_police_epoc(legal, valid):
    data = replace(valid, issuer_type="police", validating_file_number="N° PARQUET 2026/77")

    request = intake.request_register(actor=legal, data=data)

    assert request.validating_file_number == "N° PARQUET 2026/77"


def test_request_register_from_a_suspended_authority_is_refused(
    legal, valid, authority, private_storage
):
    Authority.objects.filter(pk=authority.pk).update(status=Authority.Status.SUSPENDED)

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=valid, document=upload())

    assert "suspended" in refused.value.errors["authority"][0]
    nothing_written(private_storage)


def test_request_register_accepts_a_two_year_period(legal, valid):
    data = replace(valid, date_from=datetime(2024, 11, 1), date_to=datetime(2026, 11, 1))

    request = intake.request_register(actor=legal, data=data)

    assert request.date_to - request.date_from == timedelta(days=730, hours=0)


def test_request_register_keeps_a_future_nondisclosure_expiry_in_utc(legal, valid):
    expires = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    data = replace(valid, nondisclosure="fr_secret", nondisclosure_expires_at=expires)

    request = intake.request_register(actor=legal, data=data)

    assert (request.nondisclosure, request.nondisclosure_expires_at) == ("fr_secret", expires)


# --- Targets ----------------------------------------------------------------------------


def test_targets_resolve_unique_none_and_ambiguous(legal, valid, suspect):
    make_account(username="twin")
    make_account(username="Twin")
    data = replace(
        valid,
        targets=(
            f"account_id:{suspect.platform_id}",
            "username:@twin",
            "account_id:does-not-exist",
        ),
    )

    request = intake.request_register(actor=legal, data=data)

    resolved = {t.kind + ":" + t.value: t for t in request.targets.all()}
    assert resolved[f"account_id:{suspect.platform_id}"].resolution == "unique"
    assert resolved["username:twin"].resolution == "ambiguous"
    assert resolved["username:twin"].account is None
    assert resolved["account_id:does-not-exist"].resolution == "none"


def test_username_target_resolves_with_or_without_at_sign(legal, valid, suspect):
    data = replace(valid, targets=("username:DarkSeller", "username:@darkseller"))

    request = intake.request_register(actor=legal, data=data)

    target = request.targets.get()  # the same identifier twice is one target
    assert (target.account, target.resolution) == (suspect, "unique")


def test_phone_target_is_normalised_and_matched_by_blind_index(legal, valid, suspect):
    give_subscriber_data(suspect, phone="+33612345678")
    data = replace(valid, targets=("phone:06 12 34 56 78",))  # national form, French authority

    request = intake.request_register(actor=legal, data=data)

    target = request.targets.get()
    assert (target.kind, target.value, target.account) == ("phone", "+33612345678", suspect)
    assert target.value_index == crypto.blind_index("+33612345678", kind="phone")
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM disclosures_requesttarget WHERE id = %s", [target.pk])
        (stored,) = cursor.fetchone()
    assert "33612345678" not in stored


def test_phone_shared_by_two_accounts_is_ambiguous(legal, valid, suspect):
    other = make_account()
    give_subscriber_data(other, phone="+33699887766")
    third = make_account()
    give_subscriber_data(third, phone="+33699887766")
    data = replace(valid, targets=(f"account_id:{suspect.platform_id}", "phone:+33699887766"))

    request = intake.request_register(actor=legal, data=data)

    assert request.targets.get(kind="phone").resolution == "ambiguous"


def test_unresolved_targets_are_kept_when_one_resolves(legal, valid, suspect):
    data = replace(valid, targets=(f"account_id:{suspect.platform_id}", "phone:+14155550123"))

    request = intake.request_register(actor=legal, data=data)

    assert sorted(request.targets.values_list("resolution", flat=True)) == ["none", "unique"]


# --- Moderation evidence ----------------------------------------------------------------


def test_case_with_a_violation_decision_in_force_is_evidence(legal, valid, suspect, moderator):
    case = decided_case(suspect, moderator)

    request = intake.request_register(actor=legal, data=replace(valid, case_ids=(case.pk,)))

    assert list(request.linked_cases.all()) == [case]


@pytest.mark.parametrize(
    ("actions", "status"),
    [
        (("no_violation",), "in_force"),
        (("remove_content",), "reversed"),
    ],
)
def test_case_without_violation_in_force_is_not_evidence(
    legal, valid, suspect, moderator, actions, status, private_storage
):
    case = decided_case(suspect, moderator, actions=actions, status=status)

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=replace(valid, case_ids=(case.pk,)))

    assert "case_ids" in refused.value.errors
    nothing_written(private_storage)


def test_escalated_case_cleared_by_a_decision_is_not_evidence(legal, valid, suspect, moderator):
    case = escalated_case(suspect)
    Decision.objects.create(case=case, moderator=moderator, actions=["no_violation"])

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=replace(valid, case_ids=(case.pk,)))

    assert "case_ids" in refused.value.errors


def test_case_about_another_account_is_not_evidence(legal, valid, private_storage):
    other_case = escalated_case(make_account())

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=replace(valid, case_ids=(other_case.pk,)))

    assert "case_ids" in refused.value.errors
    nothing_written(private_storage)


def test_case_about_an_unresolved_target_is_not_evidence(legal, valid, suspect):
    twin_a = make_account(username="samename")
    make_account(username="samename")
    case = escalated_case(twin_a)
    data = replace(
        valid,
        targets=(f"account_id:{suspect.platform_id}", "username:samename"),
        case_ids=(case.pk,),
    )

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=data)

    assert "case_ids" in refused.value.errors


# --- Policy and deadlines ---------------------------------------------------------------


def test_request_received_before_the_policy_change_gets_version_1(legal, valid):
    data = replace(valid, received_at=datetime(2024, 9, 22, 23, 59, tzinfo=UTC))

    request = intake.request_register(actor=legal, data=data)

    assert request.policy.version == 1
    assert request.policy.covers("terrorism")
    assert not request.policy.covers(request.offence_category)  # illegal_drugs: not an error


def test_request_received_at_the_policy_change_gets_version_2(legal, valid):
    data = replace(valid, received_at=datetime(2024, 9, 23, 0, 0, tzinfo=UTC))

    request = intake.request_register(actor=legal, data=data)

    assert request.policy.version == 2
    assert request.policy.covers("illegal_drugs")


def test_request_received_before_any_policy_is_refused(legal, valid):
    data = replace(valid, received_at=datetime(2017, 6, 1, tzinfo=UTC))

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=data)

    assert "received_at" in refused.value.errors


@pytest.mark.parametrize(
    ("instrument", "emergency", "hours", "rule"),
    [
        ("epoc", False, 240, "EPOC_ART10_3_10D"),
        ("epoc", True, 8, "EPOC_ART10_4_8H"),
        ("us_emergency", True, 8, "EMERGENCY_8H"),
        ("fr_60_1", False, 72, "SLA_FR_60_1_72H"),
    ],
)
def test_deadline_follows_the_instrument(legal, valid, instrument, emergency, hours, rule):
    data = replace(
        valid,
        instrument=instrument,
        emergency=emergency,
        emergency_justification="Threat to life announced in a public channel" if emergency else "",
    )

    request = intake.request_register(actor=legal, data=data)

    assert request.deadline_at - request.received_at == timedelta(hours=hours)
    assert request.deadline_rule == rule


# --- The order document -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "order.pdf", "application/pdf"),
        (PNG, "scan.png", "image/png"),
        (JPEG, "s.jpg", "image/jpeg"),
    ],
)
def test_document_is_stored_privately_with_its_sha256(
    legal, valid, private_storage, content, name, content_type
):
    request = intake.request_register(
        actor=legal, data=valid, document=upload(content, name, content_type)
    )

    request.refresh_from_db()
    digest = hashlib.sha256(content).hexdigest()
    assert request.document_sha256 == digest
    assert (request.document_name, request.document_content_type) == (name, content_type)
    assert request.document_size == len(content)
    assert request.document.startswith("documents/")
    stored = private_storage / request.document
    assert stored.read_bytes() == content
    assert name not in request.document  # random file name
    assert events("document.stored", request).get().data["sha256"] == digest


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (PNG, "application/pdf", "was sent as"),
        (PDF, "image/png", "was sent as"),
        (b"MZ\x90\x00 an executable", "application/pdf", "Only PDF"),
        (b"<html><script>alert(1)</script>", "text/html", "Only PDF"),
        (b"", "application/pdf", "empty"),
    ],
)
def test_document_with_wrong_type_is_refused(
    legal, valid, private_storage, content, content_type, message
):
    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(
            actor=legal, data=valid, document=upload(content, "x.pdf", content_type)
        )

    assert message in refused.value.errors["document"][0]
    nothing_written(private_storage)


def test_document_over_the_size_limit_is_refused(legal, valid, private_storage, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF) - 1

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=valid, document=upload())

    assert "larger" in refused.value.errors["document"][0]
    nothing_written(private_storage)


def test_document_at_the_size_limit_is_accepted(legal, valid, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF)

    request = intake.request_register(actor=legal, data=valid, document=upload())

    assert request.document_size == len(PDF)


def test_request_without_document_is_accepted(legal, valid):
    request = intake.request_register(actor=legal, data=valid)

    assert (request.document, request.document_sha256) == ("", "")
    assert not events("document.stored").exists()


# --- Acknowledgment ---------------------------------------------------------------------


def test_request_acknowledge_sets_the_time_once(legal):
    request = make_request(created_by=legal)

    intake.request_acknowledge(request_id=request.pk, actor=legal)
    first = LegalRequest.objects.get(pk=request.pk).acknowledged_at
    with pytest.raises(intake.AlreadyAcknowledged):
        intake.request_acknowledge(request_id=request.pk, actor=legal)

    request.refresh_from_db()
    assert request.acknowledged_at == first is not None
    assert request.version == 2
    assert events("request.acknowledged", request).count() == 1


def test_request_acknowledge_needs_the_prepare_permission(approver, legal):
    request = make_request(created_by=legal)

    with pytest.raises(NotPermitted):
        intake.request_acknowledge(request_id=request.pk, actor=approver)

    request.refresh_from_db()
    assert request.acknowledged_at is None
    assert AuditEvent.objects.get(action="authz.denied").target_id == str(request.pk)


# --- Concurrency (PostgreSQL) ------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_references(legal, valid):
    results = race(*[lambda: intake.request_register(actor=legal, data=valid)] * 4)

    assert all(isinstance(r, LegalRequest) for r in results), results
    references = sorted(LegalRequest.objects.values_list("reference", flat=True))
    assert len(set(references)) == 4
    assert all(ref.startswith("LR-") for ref in references)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_registration_racing_a_suspension_never_lands_after_it(legal, valid, authority):
    from disclosures.services.authorities import authority_set_status

    registered, _suspended = race(
        lambda: intake.request_register(actor=legal, data=valid),
        lambda: authority_set_status(
            authority_id=authority.pk, actor=legal, status="suspended", reason="Forgeries"
        ),
    )

    suspension = events("authority.suspended").get()
    if isinstance(registered, LegalRequest):
        assert events("request.received", registered).get().pk < suspension.pk
    else:
        assert isinstance(registered, InvalidRequest)
        assert "authority" in registered.errors
        assert not LegalRequest.objects.exists()


# --- Selectors --------------------------------------------------------------------------


def _deadline(request: LegalRequest, hours: float) -> LegalRequest:
    LegalRequest.objects.filter(pk=request.pk).update(
        deadline_at=timezone.now() + timedelta(hours=hours)
    )
    return request


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
    event = events("document.downloaded", request).get()
    assert (event.actor, event.data["sha256"]) == (legal, request.document_sha256)


def test_tampered_document_is_not_served(legal_client, legal, valid, private_storage):
    request = intake.request_register(actor=legal, data=valid, document=upload())
    (private_storage / request.document).write_bytes(PDF + b"% changed")

    response = legal_client.get(reverse("disclosures:request_document", args=[request.pk]))

    assert response.status_code == 302
    assert events("document.integrity_failed", request).exists()
    assert not events("document.downloaded").exists()


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
    assert not events("document.downloaded").exists()


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


# --- The order document's download name and type ---------------------------------------------


def download(client, request: LegalRequest):
    response = client.get(reverse("disclosures:request_document", args=[request.pk]))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("content", "name", "content_type", "served"),
    [
        (PDF, "order.png", "application/pdf", "order.pdf"),
        (PDF, "order.pdf.exe", "application/pdf", "order.pdf"),
        (JPEG, "order.pdf", "image/jpeg", "order.jpg"),
        (PNG, "scan.JPEG", "image/png", "scan.png"),
        (PDF, "order", "application/pdf", "order.pdf"),
    ],
)
def test_document_is_served_under_the_extension_of_its_content(
    legal_client, legal, valid, content, name, content_type, served
):
    request = intake.request_register(
        actor=legal, data=valid, document=upload(content, name, content_type)
    )

    response = download(legal_client, request)

    assert response["Content-Disposition"] == f'attachment; filename="{served}"'
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content


def test_document_name_loses_its_path_and_unsafe_characters(legal_client, legal, valid):
    request = intake.request_register(
        actor=legal, data=valid, document=upload(name="../../x/réquisition (n°2).pdf")
    )

    response = download(legal_client, request)

    assert response["Content-Disposition"] == 'attachment; filename="requisition_n2.pdf"'


@pytest.mark.parametrize(
    ("stored_name", "served"),
    [
        ('..\\..\\Windows\\evil"; filename=x.exe', "evil_filename_x.pdf"),
        ("C:\\orders\\order.pdf\r\nX-Injected: 1", "order.pdf"),
        ("/etc/passwd", "passwd.pdf"),
        ("....", "order-{pk}.pdf"),
        ("", "{reference}.pdf"),
    ],
)
def test_document_name_recorded_with_path_characters_is_served_safe(
    legal_client, legal, valid, stored_name, served
):
    request = intake.request_register(actor=legal, data=valid, document=upload())
    LegalRequest.objects.filter(pk=request.pk).update(document_name=stored_name)

    response = download(legal_client, request)

    expected = served.format(pk=request.pk, reference=request.reference)
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert "\n" not in response["Content-Disposition"]


def test_document_type_is_read_from_its_bytes_not_from_the_record(legal_client, legal, valid):
    request = intake.request_register(actor=legal, data=valid, document=upload())
    LegalRequest.objects.filter(pk=request.pk).update(
        document_content_type="text/html", document_name="order.html"
    )

    response = download(legal_client, request)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="order.pdf"'


# --- Oversized documents: refused while they stream in ------------------------------------


def _form_in_page_order(valid: RequestInput, document: Any) -> dict[str, Any]:
    """The form's fields in the order a browser sends them: the document comes mid-form."""
    data = form_data(valid)
    ordered: dict[str, Any] = {}
    for key, value in data.items():
        ordered[key] = value
        if key == "received_at":
            ordered["document"] = document
    return ordered


@pytest.fixture
def stored_upload_bytes(monkeypatch) -> list[int]:
    """Bytes handed to Django's storing upload handlers (memory or temporary file)."""
    from django.core.files import uploadhandler

    received: list[int] = []
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        original = handler.receive_data_chunk

        def counting(self, raw_data, start, _original=original):  # type: ignore[no-untyped-def]
            if getattr(self, "activated", True):  # the memory handler passes on when inactive
                received.append(len(raw_data))
            return _original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return received


def test_document_over_the_limit_is_refused_while_streaming_and_the_form_kept(
    legal_client, valid, private_storage, settings, stored_upload_bytes
):
    settings.DOCUMENT_MAX_BYTES = 100_000
    document = upload(PDF + b"\x00" * 1_000_000)

    response = legal_client.post(
        reverse("disclosures:request_new"), _form_in_page_order(valid, document)
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "The document is larger than 0.1 MB." in body
    # Fields sent after the document were still read: the officer keeps what they typed.
    assert valid.statement_of_reasons in body
    # No more than the limit was ever stored, not the whole megabyte.
    assert 0 < sum(stored_upload_bytes) <= settings.DOCUMENT_MAX_BYTES
    nothing_written(private_storage)


def test_refused_document_leaves_no_temporary_file(
    legal_client, valid, private_storage, settings, tmp_path, stored_upload_bytes
):
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE: the upload streams to a temporary file on disk.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    settings.DOCUMENT_MAX_BYTES = 3_000_000
    document = upload(PDF + b"\x00" * 4_000_000)

    response = legal_client.post(
        reverse("disclosures:request_new"), _form_in_page_order(valid, document)
    )

    assert response.status_code == 200
    assert "The document is larger than 3.0 MB." in response.content.decode()
    assert sum(stored_upload_bytes) <= settings.DOCUMENT_MAX_BYTES
    assert list((tmp_path / "uploads").iterdir()) == []
    nothing_written(private_storage)


def test_document_at_the_limit_is_registered_through_the_form(legal_client, valid, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF)

    response = legal_client.post(
        reverse("disclosures:request_new"), _form_in_page_order(valid, upload())
    )

    assert response.status_code == 302
    assert LegalRequest.objects.get().document_size == len(PDF)


def test_intake_over_the_request_limit_is_refused_before_parsing(
    legal_client, valid, private_storage, settings, stored_upload_bytes
):
    settings.MAX_REQUEST_BODY_BYTES = 50_000

    response = legal_client.post(
        reverse("disclosures:request_new"),
        _form_in_page_order(valid, upload(PDF + b"\x00" * 60_000)),
    )

    assert response.status_code == 413
    assert stored_upload_bytes == []
    nothing_written(private_storage)


def test_intake_still_checks_the_csrf_token(legal, valid, private_storage):
    from django.test import Client

    from tests.utils import login_verified

    client = login_verified(Client(enforce_csrf_checks=True), legal)

    response = client.post(reverse("disclosures:request_new"), form_data(valid, document=upload()))

    assert response.status_code == 403
    nothing_written(private_storage)
