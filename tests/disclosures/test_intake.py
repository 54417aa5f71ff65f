"""
Request intake: registering, validation, target resolution, moderation evidence, policy,
deadlines and acknowledgment.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import crypto
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.models import Authority, LegalRequest
from disclosures.services import intake
from moderation.models import Case, Decision
from tests.disclosures.factories import give_subscriber_data, make_account, make_request
from tests.disclosures.helpers import escalated_case, nothing_written, request_events, upload
from tests.moderation.factories import make_case
from tests.utils import race, requires_postgres

# Private files go to a fresh folder per test (tests/disclosures/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


def decided_case(account, moderator, *, actions=("remove_content",), status="in_force") -> Case:
    case = make_case(subject__author_id=account.platform_id)
    Decision.objects.create(case=case, moderator=moderator, actions=list(actions), status=status)
    return case


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

    event = request_events("request.received", request).get()
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
    assert request_events("request.acknowledged", request).count() == 1


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

    suspension = request_events("authority.suspended").get()
    if isinstance(registered, LegalRequest):
        assert request_events("request.received", registered).get().pk < suspension.pk
    else:
        assert isinstance(registered, InvalidRequest)
        assert "authority" in registered.errors
        assert not LegalRequest.objects.exists()
