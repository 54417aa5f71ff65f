"""
A stored package that was damaged after it was built (deleted, a ciphertext byte flipped,
truncated, not a zip, a file inside changed, re-signed...) is never released nor served:
the service refuses with PackageDamaged, the pages answer with a clear refusal (never a
500), and each attempt leaves a `package.integrity_failed` record that survives the refusal.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from audit.models import AuditEvent
from disclosures import crypto
from disclosures.exceptions import PackageDamaged
from disclosures.models import LegalRequest, ReleasePackage
from disclosures.package import (
    DATA_CSV,
    DATA_JSON,
    MANIFEST,
    SIGNATURE,
    canonical_bytes,
    unzip_files,
    zip_files,
)
from disclosures.selectors.package_integrity import package_integrity_oversight
from disclosures.services import package_files, release
from disclosures.services.package_files import package_check_stored, package_verify_stored
from tests.disclosures.helpers import approved_request, built, fresh, now_ts, released

pytestmark = pytest.mark.django_db

VALUES = (b"+3361234567", b"203.0.113.", b"2001:db8::1")


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


# --- Ways to damage a stored package -------------------------------------------------------------


def _zip_of(path: Path) -> bytes:
    return crypto.fernet().decrypt(path.read_bytes())


def _store_zip(path: Path, blob: bytes) -> None:
    path.write_bytes(crypto.fernet().encrypt(blob))


def _store_files(path: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    files = unzip_files(_zip_of(path))
    change(files)
    _store_zip(path, zip_files(files))


def delete(path: Path) -> None:
    path.unlink()


def flip_a_ciphertext_byte(path: Path) -> None:
    token = bytearray(path.read_bytes())
    middle = len(token) // 2
    token[middle] = ord("A") if token[middle] != ord("A") else ord("B")
    path.write_bytes(bytes(token))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def encrypt_something_else(path: Path) -> None:
    _store_zip(path, b"a valid token around bytes that are not a zip")


def truncate_the_zip(path: Path) -> None:
    blob = _zip_of(path)
    _store_zip(path, blob[: len(blob) // 2])


def corrupt_an_entry(path: Path) -> None:
    blob = bytearray(_zip_of(path))
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as archive:
        info = archive.getinfo(DATA_JSON)
    offset = info.header_offset
    name_length = int.from_bytes(blob[offset + 26 : offset + 28], "little")
    extra_length = int.from_bytes(blob[offset + 28 : offset + 30], "little")
    start = offset + 30 + name_length + extra_length
    for i in range(start + 2, start + min(info.compress_size, 12)):
        blob[i] ^= 0xFF
    _store_zip(path, bytes(blob))


def change_a_file(path: Path) -> None:
    def change(files: dict[str, bytes]) -> None:
        files[DATA_CSV] = files[DATA_CSV] + b"acct-x,phone_number,+15550100,,\r\n"

    _store_files(path, change)


def remove_a_file(path: Path) -> None:
    _store_files(path, lambda files: files.pop(DATA_CSV))


def add_a_file(path: Path) -> None:
    _store_files(path, lambda files: files.update({"notes.txt": b"added later"}))


def resign_another_manifest(path: Path) -> None:
    """Someone holding both keys rewrites the manifest and signs it again."""

    def change(files: dict[str, bytes]) -> None:
        manifest = json.loads(files[MANIFEST])
        manifest["created_at"] = "2020-01-01T00:00:00Z"
        files[MANIFEST] = canonical_bytes(manifest)
        files[SIGNATURE] = crypto.sign(files[MANIFEST]).encode()

    _store_files(path, change)


def replace_the_signature(path: Path) -> None:
    def change(files: dict[str, bytes]) -> None:
        files[SIGNATURE] = crypto.sign(b"another document").encode()

    _store_files(path, change)


DAMAGES = [
    pytest.param(delete, "file_missing", id="deleted"),
    pytest.param(flip_a_ciphertext_byte, "undecryptable", id="ciphertext-byte-flipped"),
    pytest.param(truncate, "undecryptable", id="truncated-file"),
    pytest.param(encrypt_something_else, "not_a_zip", id="valid-fernet-not-a-zip"),
    pytest.param(truncate_the_zip, "not_a_zip", id="truncated-zip"),
    pytest.param(corrupt_an_entry, "archive_corrupt", id="corrupt-entry"),
    pytest.param(change_a_file, "file_hash", id="file-with-another-hash"),
    pytest.param(remove_a_file, "file_missing", id="file-removed"),
    pytest.param(add_a_file, "file_unlisted", id="file-added"),
    pytest.param(resign_another_manifest, "manifest_mismatch", id="manifest-re-signed"),
    pytest.param(replace_the_signature, "signature_invalid", id="signature-replaced"),
]


def stored(private_storage: Path, package: ReleasePackage) -> Path:
    return private_storage / package.storage_path


def integrity_events(**data):
    events = AuditEvent.objects.filter(action="package.integrity_failed").order_by("id")
    return [e for e in events if all(e.data.get(k) == v for k, v in data.items())]


def assert_recorded(package, *, reason, operation, actor) -> None:
    (event,) = integrity_events(package=package.pk)
    assert (event.actor, event.target_type, event.target_id) == (
        actor,
        "disclosures.legalrequest",
        str(package.request_id),
    )
    assert (event.data["reason"], event.data["operation"]) == (reason, operation)
    assert event.data["manifest_sha256"] == package.manifest_sha256


def assert_no_values(text: bytes | str) -> None:
    raw = text.encode() if isinstance(text, str) else text
    assert not [v for v in VALUES if v in raw]


# --- The check itself ----------------------------------------------------------------------------


def test_an_intact_package_reads_back_with_its_files(legal, approver):
    _request, package = built(legal, approver)

    checked = package_check_stored(package)

    assert set(checked.files) >= {DATA_JSON, DATA_CSV, MANIFEST, SIGNATURE}
    assert unzip_files(checked.zip_bytes) == checked.files
    assert package_verify_stored(package=package, actor=legal) == checked.files
    assert not integrity_events()


@pytest.mark.parametrize(("damage", "reason"), DAMAGES)
def test_check_names_what_is_wrong_without_any_value(
    legal, approver, private_storage, damage, reason
):
    _request, package = built(legal, approver)
    damage(stored(private_storage, package))

    with pytest.raises(PackageDamaged) as refused:
        package_check_stored(package)

    assert (refused.value.reason, refused.value.package_id) == (reason, package.pk)
    assert refused.value.released is False
    assert refused.value.message
    assert_no_values(refused.value.message)
    assert not integrity_events()  # the check alone writes nothing


@pytest.mark.parametrize(("damage", "reason"), DAMAGES[:4])
def test_verify_stored_records_the_failure_in_its_own_transaction(
    legal, approver, private_storage, damage, reason
):
    _request, package = built(legal, approver)
    damage(stored(private_storage, package))

    with pytest.raises(PackageDamaged):
        package_verify_stored(package=package, actor=legal)

    assert_recorded(package, reason=reason, operation="package_verify", actor=legal)


def test_a_package_without_a_stored_path_is_damaged(legal, approver):
    _request, package = built(legal, approver)
    package.storage_path = "../outside/package.bin"

    with pytest.raises(PackageDamaged) as refused:
        package_check_stored(package)

    assert refused.value.reason == "no_file"


# --- Release -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("damage", "reason"), DAMAGES)
def test_release_of_a_damaged_package_is_refused_and_recorded(
    legal, approver, private_storage, damage, reason
):
    request, package = built(legal, approver)
    damage(stored(private_storage, package))

    with pytest.raises(PackageDamaged) as refused:
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())

    assert refused.value.reason == reason
    request.refresh_from_db()
    package.refresh_from_db()
    assert (request.status, request.outcome) == (LegalRequest.Status.APPROVED, "")
    assert package.status == ReleasePackage.Status.QA_PASSED
    assert not AuditEvent.objects.filter(action="request.released").exists()
    assert_recorded(package, reason=reason, operation="package_release", actor=legal)


@pytest.mark.parametrize(("damage", "reason"), DAMAGES)
def test_release_page_refuses_a_damaged_package_with_a_clear_page(
    legal, approver, legal_client, private_storage, damage, reason
):
    request, package = built(legal, approver)
    damage(stored(private_storage, package))

    response = fresh(legal_client).post(
        reverse("disclosures:package_release", args=[request.pk]), {"release-confirm": "on"}
    )

    assert response.status_code == 409
    assert "disclosures/release/package_damaged.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "The stored package is damaged" in html
    assert "Build the package again" in html
    assert reverse("disclosures:package_build", args=[request.pk]) in html
    assert reason in html
    assert_no_values(html)
    assert LegalRequest.objects.get(pk=request.pk).status == LegalRequest.Status.APPROVED
    assert_recorded(package, reason=reason, operation="package_release", actor=legal)


def test_building_again_after_a_damaged_package_can_be_released(
    legal, approver, legal_client, private_storage
):
    request, package = built(legal, approver)
    flip_a_ciphertext_byte(stored(private_storage, package))
    with pytest.raises(PackageDamaged):
        release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())

    rebuilt = release.package_build(request_id=request.pk, actor=legal)
    release.package_release(request_id=request.pk, actor=legal, reauthenticated_at=now_ts())

    rebuilt.refresh_from_db()
    assert rebuilt.pk != package.pk
    assert rebuilt.status == ReleasePackage.Status.RELEASED
    assert LegalRequest.objects.get(pk=request.pk).status == LegalRequest.Status.RELEASED


def test_build_whose_package_cannot_be_read_back_leaves_nothing(
    legal, approver, legal_client, private_storage, monkeypatch
):
    request = approved_request(legal, [approver])

    def unreadable(package, blob=None):
        raise PackageDamaged("The package file cannot be read.", reason="unreadable")

    monkeypatch.setattr(package_files, "package_unzip_stored", unreadable)

    response = legal_client.post(reverse("disclosures:package_build", args=[request.pk]))

    assert response.status_code == 409
    assert "The package file cannot be read." in response.content.decode()
    assert not ReleasePackage.objects.filter(request=request).exists()
    assert not list((private_storage / "packages").glob("*"))


# --- Download ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("damage", "reason"), DAMAGES)
def test_download_of_a_damaged_package_is_refused_and_recorded(
    legal, approver, private_storage, damage, reason
):
    _request, package = released(legal, approver)
    left = package.downloads_left
    damage(stored(private_storage, package))

    with pytest.raises(PackageDamaged) as refused:
        release.package_download(package_id=package.pk, actor=legal)

    assert (refused.value.reason, refused.value.released) == (reason, True)
    package.refresh_from_db()
    assert (package.status, package.downloads_left) == (ReleasePackage.Status.RELEASED, left)
    assert not AuditEvent.objects.filter(action="package.downloaded").exists()
    assert_recorded(package, reason=reason, operation="package_download", actor=legal)


@pytest.mark.parametrize(("damage", "reason"), DAMAGES)
def test_download_page_refuses_a_damaged_package_with_a_clear_page(
    legal, approver, legal_client, private_storage, damage, reason
):
    request, package = released(legal, approver)
    damage(stored(private_storage, package))

    response = legal_client.get(reverse("disclosures:package_download", args=[package.pk]))

    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "The stored package is damaged" in html
    assert "The auditor is alerted" in html
    assert "Build the package again" not in html
    assert_no_values(html)
    assert_recorded(package, reason=reason, operation="package_download", actor=legal)
    assert LegalRequest.objects.get(pk=request.pk).status == LegalRequest.Status.RELEASED


def test_each_refused_download_is_recorded(legal, approver, legal_client, private_storage):
    _request, package = released(legal, approver)
    delete(stored(private_storage, package))
    url = reverse("disclosures:package_download", args=[package.pk])

    assert [legal_client.get(url).status_code for _ in range(2)] == [410, 410]

    assert len(integrity_events(package=package.pk)) == 2
    package.refresh_from_db()
    assert package.downloads_left > 0


def test_an_intact_package_still_downloads(legal, approver, legal_client):
    _request, package = released(legal, approver)

    response = legal_client.get(reverse("disclosures:package_download", args=[package.pk]))

    assert response.status_code == 200
    assert MANIFEST in unzip_files(response.content)
    assert not integrity_events()


# --- The auditor's panel -------------------------------------------------------------------------


def test_auditor_panel_lists_recent_integrity_failures(
    legal, approver, private_storage, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert package_integrity_oversight().alarming is False
    request, package = released(legal, approver)
    delete(stored(private_storage, package))
    with pytest.raises(PackageDamaged):
        release.package_download(package_id=package.pk, actor=legal)

    with django_assert_num_queries(2):
        oversight = package_integrity_oversight()

    assert (oversight.alarming, oversight.total, oversight.released_total) == (True, 1, 1)
    (row,) = oversight.rows
    assert (row.reference, row.package_id, row.reason, row.operation, row.username) == (
        request.reference,
        package.pk,
        "file_missing",
        "package_download",
        legal.username,
    )
    html = render_to_string("disclosures/release/_integrity_alarm.html", {"oversight": oversight})
    assert "ALARM: 1 stored package failed its integrity check" in html
    assert request.reference in html
