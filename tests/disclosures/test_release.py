"""
Release of an approved scope: the package (extraction, files, signed manifest, encryption at
rest, QA), the release rules broken every way, downloads, purge, and the views.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import crypto, tasks
from disclosures.exceptions import (
    ChecksIncomplete,
    InvalidTransition,
    NotPermitted,
    ReauthenticationRequired,
    ScopeMismatch,
    SeparationOfDutiesViolation,
)
from disclosures.models import (
    Approval,
    LegalRequest,
    ReleasePackage,
    UserNotice,
    VerificationCheck,
)
from disclosures.package import (
    DATA_CSV,
    DATA_JSON,
    MANIFEST,
    SIGNATURE,
    canonical_bytes,
    package_qa,
    sha256_hex,
    unzip_files,
    verify_manifest,
)
from disclosures.services import release
from disclosures.services.release import DownloadRefused, PackageNotReady, package_files
from outbox.models import Delivery
from tests.disclosures.factories import give_subscriber_data, make_account, make_request
from tests.disclosures.helpers import (
    INSIDE,
    PHONE,
    TO,
    approve,
    approved_request,
    built,
    fresh,
    now_ts,
    released,
)
from tests.utils import race, race_errors, race_outcomes, requires_postgres

# Private files go to a fresh folder per test (tests/disclosures/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


# --- Arrangement ------------------------------------------------------------------------------


def written() -> dict:
    """What a refused operation must leave unchanged (authz.denied aside)."""
    return {
        "events": AuditEvent.objects.exclude(action="authz.denied").count(),
        "packages": sorted(ReleasePackage.objects.values_list("pk", "status", "downloads_left")),
        "requests": sorted(LegalRequest.objects.values_list("pk", "status", "version", "outcome")),
        "notices": UserNotice.objects.count(),
        "deliveries": Delivery.objects.count(),
    }


def denials() -> int:
    return AuditEvent.objects.filter(action="authz.denied").count()


@pytest.fixture
def releaser2(make_user):
    return make_user(Role.LEGAL_OFFICER, username="rita")


# --- Build and package ------------------------------------------------------------------------


def test_package_build_signs_encrypts_and_passes_qa(legal, approver, private_storage):
    request, package = built(legal, approver)

    assert package.status == ReleasePackage.Status.QA_PASSED
    assert package.qa_report["passed"] is True
    path = private_storage / package.storage_path
    assert path.is_file()
    assert path.parent == private_storage / "packages"
    stored = path.read_bytes()
    assert b"+3361234567" not in stored
    assert b"203.0.113" not in stored
    files = package_files(package)
    assert set(files) == {DATA_JSON, DATA_CSV, "cover_letter.html", MANIFEST, SIGNATURE}
    manifest = json.loads(files[MANIFEST])
    assert manifest == package.manifest
    assert sha256_hex(files[MANIFEST]) == package.manifest_sha256
    assert manifest["scope_hash"] == request.scopes.get().scope_hash
    assert manifest["public_key"] == crypto.public_key_b64()
    for entry in manifest["files"]:
        assert sha256_hex(files[entry["name"]]) == entry["sha256"]
    assert crypto.verify(files[MANIFEST], package.signature, crypto.public_key_b64())
    assert manifest["counts"] == {"accounts": 2, "phone_numbers": 2, "ip_records": 4}
    cover = files["cover_letter.html"].decode()
    assert request.reference in cover
    assert crypto.public_key_b64() in cover
    assert request.authority.name in cover
    actions = list(
        AuditEvent.objects.filter(action__startswith="package.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["package.built", "package.qa_passed"]
    assert AuditEvent.objects.get(action="package.built").data["manifest_sha256"] == (
        package.manifest_sha256
    )


def test_package_holds_exactly_the_scope_in_json_and_csv(legal, approver):
    request, package = built(legal, approver)
    files = package_files(package)

    data = json.loads(files[DATA_JSON])
    accounts = sorted(t.account.platform_id for t in request.targets.all())
    assert data["accounts"] == accounts
    assert sorted(p["account"] for p in data["phone_numbers"]) == accounts
    seen = sorted(r["seen_at"] for r in data["ip_records"])
    assert seen == sorted(["2026-10-05T12:30:00Z"] * 2 + ["2026-10-06T12:30:00Z"] * 2)
    rows = files[DATA_CSV].decode().splitlines()
    assert rows[0] == "account_id,category,value,port,seen_at_utc"
    assert len(rows) == 1 + 2 + 4  # one row per phone number and per IP record


def test_manifest_signature_fails_after_one_byte_changes(legal, approver):
    _request, package = built(legal, approver)
    files = package_files(package)
    assert verify_manifest(files)

    tampered = bytearray(files[MANIFEST])
    tampered[10] ^= 0x01
    assert not verify_manifest({**files, MANIFEST: bytes(tampered)})

    csv_bytes = bytearray(files[DATA_CSV])
    csv_bytes[-3] ^= 0x01
    scope = package.scope
    report = package_qa(
        files={**files, DATA_CSV: bytes(csv_bytes)},
        scope_json=scope.canonical_json,
        scope_hash=scope.scope_hash,
    )
    assert not report.passed
    assert "file_hash" in {p["code"] for p in report.problems}


def _resign(files: dict[str, bytes], data: dict) -> dict[str, bytes]:
    """A tampered package that is internally consistent: hashes and signature redone."""
    files = dict(files)
    files[DATA_JSON] = json.dumps(data).encode()
    manifest = json.loads(files[MANIFEST])
    for entry in manifest["files"]:
        entry["sha256"] = sha256_hex(files[entry["name"]])
    files[MANIFEST] = canonical_bytes(manifest)
    files[SIGNATURE] = crypto.sign(files[MANIFEST]).encode()
    return files


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda d: d["phone_numbers"].append({"account": "acct-other", "phone": PHONE}), "account"),
        (
            lambda d: d["ip_records"].append(
                {**d["ip_records"][0], "seen_at": "2026-11-01T00:00:00Z"}
            ),
            "date_range",
        ),
        (
            lambda d: d["ip_records"].append(
                {**d["ip_records"][0], "seen_at": "2026-09-30T23:59:59.999999Z"}
            ),
            "date_range",
        ),
        (lambda d: d.update(emails=[{"account": d["accounts"][0]}]), "extra_field"),
        (lambda d: d["phone_numbers"][0].update(imei="356938035643809"), "extra_field"),
    ],
    ids=["extra-account", "at-date-to", "before-date-from", "extra-key", "extra-row-field"],
)
def test_qa_catches_a_tampered_package(legal, approver, tamper, code):
    _request, package = built(legal, approver)
    files = package_files(package)
    data = json.loads(files[DATA_JSON])
    tamper(data)

    scope = package.scope
    report = package_qa(
        files=_resign(files, data), scope_json=scope.canonical_json, scope_hash=scope.scope_hash
    )

    assert not report.passed
    assert code in {p["code"] for p in report.problems}
    assert PHONE not in json.dumps(report.problems)  # the report names no data value


def test_qa_catches_a_category_outside_the_scope(legal, approver):
    request = approved_request(legal, [approver], data_requested=["ip_addresses"])
    package = release.package_build(request_id=request.pk, actor=legal)
    assert package.status == ReleasePackage.Status.QA_PASSED
    files = package_files(package)
    data = json.loads(files[DATA_JSON])
    assert "phone_numbers" not in data
    data["phone_numbers"] = [{"account": data["accounts"][0], "phone": PHONE}]

    report = package_qa(
        files=_resign(files, data),
        scope_json=package.scope.canonical_json,
        scope_hash=package.scope.scope_hash,
    )

    assert "category" in {p["code"] for p in report.problems}


def test_qa_compares_with_the_source(legal, approver):
    _request, package = built(legal, approver)
    files = package_files(package)
    source = json.loads(files[DATA_JSON])
    data = json.loads(files[DATA_JSON])
    data["ip_records"].pop()  # a record left out: still consistent, but not the source

    report = package_qa(
        files=_resign(files, data),
        scope_json=package.scope.canonical_json,
        scope_hash=package.scope.scope_hash,
        source_data={"phone_numbers": source["phone_numbers"], "ip_records": source["ip_records"]},
    )

    assert "source_counts" in {p["code"] for p in report.problems}


def test_failed_qa_is_recorded_and_blocks_release(legal, approver, monkeypatch):
    request = approved_request(legal, [approver])
    real_extract = release.extract
    # The source that QA compares with has no IP records, the package has some: QA fails.
    monkeypatch.setattr(
        release,
        "extract",
        lambda scope_json: {**real_extract(scope_json), "ip_records": []},
    )
    package = release.package_build(request_id=request.pk, actor=legal)
    monkeypatch.undo()

    assert package.status == ReleasePackage.Status.QA_FAILED
    assert package.qa_report["passed"] is False
    assert AuditEvent.objects.filter(action="package.qa_failed").count() == 1
    before = written()
    with pytest.raises(PackageNotReady):
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())
    assert written() == before


def test_build_refused_unless_approved_scope(legal, approver, private_storage):
    request = approved_request(legal, [approver])
    Approval.objects.update(scope_hash="0" * 64)  # approved another hash
    with pytest.raises(ScopeMismatch):
        release.package_build(request_id=request.pk, actor=legal)

    pending = make_request(created_by=legal, status=LegalRequest.Status.PENDING_APPROVAL)
    with pytest.raises(PackageNotReady):
        release.package_build(request_id=pending.pk, actor=legal)

    assert not ReleasePackage.objects.exists()
    assert not list(private_storage.rglob("*.bin"))


def test_emergency_needs_two_approvals_to_build(legal, approver, approver2):
    request = approved_request(legal, [approver], emergency=True)
    with pytest.raises(ScopeMismatch):
        release.package_build(request_id=request.pk, actor=legal)
    Approval.objects.create(
        request=request,
        scope=request.scopes.get(),
        scope_hash=request.scopes.get().scope_hash,
        approver=approver2,
        decision=Approval.Decision.APPROVED,
    )
    assert release.package_build(request_id=request.pk, actor=legal).status == "qa_passed"


def test_build_by_someone_without_the_release_role_is_denied(legal, approver, moderator):
    request = approved_request(legal, [approver])
    before = written()

    with pytest.raises(NotPermitted):
        release.package_build(request_id=request.pk, actor=approver)

    assert written() == before
    denial = AuditEvent.objects.get(action="authz.denied")
    assert denial.data == {"operation": "package_build", "rule": "NotPermitted"}


# --- Release ----------------------------------------------------------------------------------


def test_release_moves_request_and_package_and_records_one_event(legal, approver, settings):
    request, package = released(legal, approver)

    assert request.status == LegalRequest.Status.RELEASED
    assert request.outcome == LegalRequest.Outcome.FULFILLED
    assert request.effect_given_at is not None
    assert package.status == ReleasePackage.Status.RELEASED
    assert package.released_by == legal
    assert package.downloads_left == settings.PACKAGE_MAX_DOWNLOADS
    assert package.purge_after - package.released_at == timedelta(
        days=settings.PACKAGE_RETENTION_DAYS
    )
    event = AuditEvent.objects.get(action="request.released")
    assert event.actor == legal
    assert event.data["manifest_sha256"] == package.manifest_sha256
    assert event.data["scope_hash"] == package.scope.scope_hash
    assert UserNotice.objects.filter(request=request).count() == 2


def test_release_is_partly_fulfilled_when_a_category_has_no_data(legal, approver):
    account = make_account()
    give_subscriber_data(account, phone=None, ips=[("203.0.113.5", 1234, INSIDE)])

    request, _package = released(legal, approver, accounts=[account])

    assert request.outcome == LegalRequest.Outcome.PARTLY


def test_second_release_is_refused(legal, approver, releaser2):
    request, _package = released(legal, approver)
    before = written()

    with pytest.raises(InvalidTransition):
        release.package_release(request_id=request.pk, actor=releaser2, reauthenticated_at=now_ts())

    assert written() == before
    assert ReleasePackage.objects.filter(status="released").count() == 1


def test_approver_cannot_release(legal, make_user):
    both = make_user(Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, username="both")
    request = approved_request(legal, [both])
    release.package_build(request_id=request.pk, actor=legal)
    before, denied = written(), denials()

    with pytest.raises(SeparationOfDutiesViolation):
        release.package_release(request_id=request.pk, actor=both, reauthenticated_at=now_ts())

    assert written() == before
    assert denials() == denied + 1
    event = AuditEvent.objects.filter(action="authz.denied").latest("id")
    assert event.data["rule"] == "SeparationOfDutiesViolation"
    assert event.target_id == str(request.pk)


def test_approver_role_alone_cannot_release(legal, approver):
    request, _package = built(legal, approver)
    before, denied = written(), denials()

    with pytest.raises(NotPermitted):
        release.package_release(request_id=request.pk, actor=approver, reauthenticated_at=now_ts())

    assert (written(), denials()) == (before, denied + 1)


@pytest.mark.parametrize("at", [None, 1, "stale"])
def test_release_without_fresh_reauthentication_is_refused(legal, approver, settings, at):
    request, _package = built(legal, approver)
    if at == "stale":
        at = now_ts() - settings.REAUTH_MAX_AGE_SECONDS - 5
    before, denied = written(), denials()

    with pytest.raises(ReauthenticationRequired):
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=at)

    assert (written(), denials()) == (before, denied + 1)


def test_release_with_a_stale_scope_is_refused(legal, approver):
    request, package = built(legal, approver)
    # The scope is changed after the package was built: the old one is voided, the new one
    # is approved, and the package belongs to the old one.
    old = request.scopes.get()
    old.voided_at = timezone.now()
    old.save(update_fields=["voided_at"])
    Approval.objects.update(voided_at=timezone.now())
    request.date_to = TO - timedelta(days=10)
    request.save(update_fields=["date_to"])
    approve(request, prepared_by=legal, approvers=[approver])
    before, denied = written(), denials()

    with pytest.raises(ScopeMismatch):
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())

    assert (written(), denials()) == (before, denied)
    assert package.scope_id == old.pk


def test_release_of_an_unapproved_live_scope_is_refused(legal, approver):
    request, _package = built(legal, approver)
    Approval.objects.update(voided_at=timezone.now())
    before = written()

    with pytest.raises(ScopeMismatch):
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())

    assert written() == before


def test_release_with_a_mandatory_check_missing_is_refused(legal, approver):
    request, _package = built(legal, approver)
    VerificationCheck.objects.filter(request=request, code="B7").update(result="failed")
    before = written()

    with pytest.raises(ChecksIncomplete):
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())

    assert written() == before


def test_release_without_a_package_is_refused(legal, approver):
    request = approved_request(legal, [approver])
    with pytest.raises(PackageNotReady):
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())
    request.refresh_from_db()
    assert request.status == LegalRequest.Status.APPROVED


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_double_release_at_the_same_moment_releases_once(make_user, settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "concurrent"
    legal = make_user(Role.LEGAL_OFFICER)
    approver = make_user(Role.LEGAL_APPROVER)
    releasers = [make_user(Role.LEGAL_OFFICER), make_user(Role.LEGAL_OFFICER)]
    request, _package = built(legal, approver)
    results = race(
        *[
            lambda u=user: release.package_release(
                request_id=request.pk, actor=u, reauthenticated_at=now_ts()
            )
            for user in releasers
        ]
    )
    errors = race_errors(results, InvalidTransition)
    outcomes = race_outcomes(results, refusal=InvalidTransition, ok="released")

    assert errors == []
    assert sorted(outcomes) == ["refused", "released"]
    assert AuditEvent.objects.filter(action="request.released").count() == 1
    assert ReleasePackage.objects.filter(status="released").count() == 1
    assert UserNotice.objects.count() == 2
    assert LegalRequest.objects.get(pk=request.pk).status == LegalRequest.Status.RELEASED


# --- Download and purge -----------------------------------------------------------------------


def test_download_is_limited_and_recorded(legal, approver, settings):
    settings.PACKAGE_MAX_DOWNLOADS = 2
    _request, package = released(legal, approver)
    first = release.package_download(package_id=package.pk, actor=legal)
    assert unzip_files(first)[MANIFEST] == canonical_bytes(package.manifest)
    release.package_download(package_id=package.pk, actor=legal)
    before, denied = written(), denials()

    with pytest.raises(DownloadRefused):
        release.package_download(package_id=package.pk, actor=legal)

    assert (written(), denials()) == (before, denied + 1)
    downloads = AuditEvent.objects.filter(action="package.downloaded").order_by("id")
    assert [e.data["downloads_left"] for e in downloads] == [1, 0]
    package.refresh_from_db()
    assert package.downloads_left == 0


def test_only_the_releaser_downloads(legal, approver, releaser2, auditor):
    _request, package = released(legal, approver)
    for user in (releaser2, approver, auditor):
        with pytest.raises(NotPermitted):
            release.package_download(package_id=package.pk, actor=user)
    package.refresh_from_db()
    assert package.downloads_left == 3
    assert denials() == 3
    assert not AuditEvent.objects.filter(action="package.downloaded").exists()


def test_purge_deletes_the_file_and_is_recorded(legal, approver, private_storage, settings):
    _request, package = released(legal, approver)
    unreleased_request, _unreleased = built(legal, approver)
    path = private_storage / package.storage_path

    assert release.packages_purge(now=timezone.now()) == 0
    later = timezone.now() + timedelta(days=settings.PACKAGE_RETENTION_DAYS, minutes=1)
    assert release.packages_purge(now=later) == 2

    assert not path.exists()
    assert not list((private_storage / "packages").iterdir())
    package.refresh_from_db()
    assert (package.status, package.storage_path, package.downloads_left) == ("purged", "", 0)
    assert AuditEvent.objects.filter(action="package.purged").count() == 2
    assert release.packages_purge(now=later) == 0  # idempotent
    with pytest.raises(DownloadRefused):
        release.package_download(package_id=package.pk, actor=legal)
    assert unreleased_request.status == LegalRequest.Status.APPROVED


def test_beat_schedule_runs_the_release_tasks(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "disclosures.tasks.purge_packages",
        "disclosures.tasks.send_due_notices",
        "disclosures.tasks.send_deadline_reminders",
    } <= tasks


# --- Views ------------------------------------------------------------------------------------


def test_release_tab_shows_the_package_and_is_not_cached(legal, approver, legal_client):
    request, package = built(legal, approver)

    response = legal_client.get(reverse("disclosures:request_release", args=[request.pk]))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert package.manifest_sha256 in html
    assert package.signature in html
    assert crypto.public_key_b64() in html
    assert reverse("accounts:reauth") in html  # not freshly re-authenticated
    assert 'aria-current="page"' in html


def test_build_and_release_through_the_views(legal, approver, legal_client):
    request = approved_request(legal, [approver])
    page = reverse("disclosures:request_release", args=[request.pk])

    response = legal_client.post(reverse("disclosures:package_build", args=[request.pk]))
    assert response.status_code == 302
    assert response["Location"] == page

    release_url = reverse("disclosures:package_release", args=[request.pk])
    confirmed = {"release-confirm": "on"}
    response = legal_client.post(release_url, confirmed)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth") + "?next=")
    assert LegalRequest.objects.get(pk=request.pk).status == LegalRequest.Status.APPROVED

    html = fresh(legal_client).get(page).content.decode()
    assert "This sends exactly this package to the authority" in html
    assert "4 IP records, 2 phone numbers" in html
    unconfirmed = legal_client.post(release_url)
    assert unconfirmed.status_code == 200
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert LegalRequest.objects.get(pk=request.pk).status == LegalRequest.Status.APPROVED

    response = legal_client.post(release_url, confirmed)
    assert response.status_code == 302
    assert response["Location"] == page
    assert LegalRequest.objects.get(pk=request.pk).status == LegalRequest.Status.RELEASED

    html = legal_client.get(page).content.decode()
    package = ReleasePackage.objects.get(status="released")
    assert reverse("disclosures:package_download", args=[package.pk]) in html

    response = legal_client.get(reverse("disclosures:package_download", args=[package.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert MANIFEST in unzip_files(response.content)


def test_release_refused_by_a_rule_shows_the_error(legal, make_user, client_for):
    both = make_user(Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, username="both")
    request = approved_request(legal, [both])
    release.package_build(request_id=request.pk, actor=legal)
    client = fresh(client_for(both))
    before, denied = written(), denials()

    response = client.post(
        reverse("disclosures:package_release", args=[request.pk]), {"release-confirm": "on"}
    )

    assert response.status_code == 200
    assert "You approved this scope" in response.content.decode()
    assert (written(), denials()) == (before, denied + 1)


def test_download_by_someone_else_shows_the_refusal(legal, approver, releaser2, client_for):
    _request, package = released(legal, approver)

    response = client_for(releaser2).get(reverse("disclosures:package_download", args=[package.pk]))

    assert response.status_code == 200
    assert "Only the person who released" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert denials() == 1


@pytest.mark.parametrize("role", ["moderator", "auditor", "approver"])
def test_other_roles_cannot_act_on_release(legal, approver, moderator, auditor, client_for, role):
    user = {"moderator": moderator, "auditor": auditor, "approver": approver}[role]
    request, package = built(legal, approver)
    release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())
    client = fresh(client_for(user))
    before = written()

    for url in (
        reverse("disclosures:package_build", args=[request.pk]),
        reverse("disclosures:package_release", args=[request.pk]),
    ):
        assert client.post(url).status_code == 403
    assert client.get(reverse("disclosures:package_download", args=[package.pk])).status_code == 403

    assert written() == before
    assert denials() == 3


@pytest.mark.parametrize("role", ["moderator", "auditor"])
def test_moderators_and_auditors_cannot_see_the_release_tab(
    legal, approver, moderator, auditor, client_for, role
):
    user = {"moderator": moderator, "auditor": auditor}[role]
    request = approved_request(legal, [approver])
    response = client_for(user).get(reverse("disclosures:request_release", args=[request.pk]))
    assert response.status_code == 403


def test_release_tab_query_count_does_not_grow(
    legal, approver, legal_client, django_assert_max_num_queries
):
    request, _package = released(legal, approver)
    url = reverse("disclosures:request_release", args=[request.pk])

    with CaptureQueriesContext(connection) as small:
        legal_client.get(url)
    more = [make_account() for _ in range(5)]
    for account in more:
        UserNotice.objects.create(request=request, account=account, status="deferred")
    with django_assert_max_num_queries(len(small.captured_queries)):
        legal_client.get(url)


def test_purge_beat_task_purges_packages_past_retention(legal, approver):
    _request, package = released(legal, approver)
    ReleasePackage.objects.filter(pk=package.pk).update(
        purge_after=timezone.now() - timedelta(seconds=1)
    )

    assert tasks.purge_packages.apply().get() == 1
    assert ReleasePackage.objects.get(pk=package.pk).status == ReleasePackage.Status.PURGED
    assert tasks.purge_packages.apply().get() == 0


def test_build_refused_by_a_rule_shows_the_error(legal, legal_client):
    request = make_request(created_by=legal, status=LegalRequest.Status.PENDING_APPROVAL)
    before = written()

    response = legal_client.post(reverse("disclosures:package_build", args=[request.pk]))

    assert response.status_code == 200
    assert "Only an approved request can be packaged." in response.content.decode()
    assert written() == before


def test_downloaded_package_carries_a_verifiable_proof_of_its_release_event(legal, approver):
    """The recipient checks, with the standalone modules alone, that the release is logged."""
    import base64
    import io
    import json as jsonlib
    import zipfile

    from audit import checkpoint as notes
    from audit import merkle

    _request, package = released(legal, approver)

    blob = release.package_download(package_id=package.pk, actor=legal)

    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        proof = jsonlib.loads(archive.read("release-proof.json"))
    event = jsonlib.loads(proof["canonical"])
    assert event["action"] == "request.released"
    assert event["data"]["manifest_sha256"] == package.manifest_sha256
    opened = notes.open_checkpoint(proof["checkpoint"], proof["verifier_key"])
    merkle.verify_inclusion(
        proof["leaf_index"],
        opened.size,
        merkle.leaf_hash(proof["canonical"].encode()),
        [base64.b64decode(h) for h in proof["proof"]],
        opened.root,
    )
