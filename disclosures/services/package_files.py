"""
Reading a stored package back (and proving it intact), downloading a released package
(limited, recorded), and purging packages after retention.

`release` re-exports this module's services from its end, so this module imports `release`
only inside its functions: either module can be imported first.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.fernet import InvalidToken
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures import crypto, permissions
from disclosures.exceptions import (
    DisclosureError,
    DownloadRefused,
    NotPermitted,
    PackageDamaged,
    PackageNotReady,
)
from disclosures.models import ReleasePackage
from disclosures.package import MANIFEST, SIGNATURE, sha256_hex, verify_manifest
from disclosures.services.package_storage import package_file
from disclosures.services.workflow import (
    DENIALS,
    package_transition,
)

if TYPE_CHECKING:
    from accounts.models import User

# What a damaged archive raises while it is opened or read: a truncated or foreign file,
# a bad CRC, a corrupt deflate stream, an entry that needs a password or an unknown method.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


# --- Reading a stored package back ----------------------------------------------------------


@dataclass(frozen=True)
class StoredPackage:
    """A stored package read back and found intact: the zip as stored, and its files."""

    zip_bytes: bytes
    files: dict[str, bytes]


def _damaged(package: ReleasePackage, reason: str, message: str) -> PackageDamaged:
    return PackageDamaged(
        message,
        reason=reason,
        package_id=package.pk,
        released=package.status == ReleasePackage.Status.RELEASED,
    )


def package_decrypt_stored(package: ReleasePackage) -> bytes:
    """The stored package's zip, decrypted; PackageDamaged if the file is gone or altered."""
    try:
        path = package_file(package.storage_path)
    except PackageNotReady as exc:
        raise _damaged(
            package, "no_file", _("The package has no file in private storage.")
        ) from exc
    try:
        token = path.read_bytes()
    except FileNotFoundError as exc:
        raise _damaged(
            package, "file_missing", _("The package file is missing from private storage.")
        ) from exc
    except OSError as exc:
        raise _damaged(package, "unreadable", _("The package file cannot be read.")) from exc
    try:
        return crypto.fernet().decrypt(token)
    except InvalidToken as exc:
        raise _damaged(
            package,
            "undecryptable",
            _(
                "The package file cannot be decrypted: it was altered or truncated, or it was "
                "encrypted under a key that is no longer configured."
            ),
        ) from exc


def package_unzip_stored(package: ReleasePackage, blob: bytes | None = None) -> dict[str, bytes]:
    """The stored package's files, without checking them against the manifest."""
    blob = package_decrypt_stored(package) if blob is None else blob
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except _ZIP_ERRORS as exc:
        raise _damaged(
            package, "not_a_zip", _("The decrypted package is not a readable zip archive.")
        ) from exc
    with archive:
        names = archive.namelist()
        if len(names) != len(set(names)):
            raise _damaged(
                package, "archive_corrupt", _("The package archive holds a file name twice.")
            )
        try:
            return {name: archive.read(name) for name in names}
        except _ZIP_ERRORS as exc:
            raise _damaged(
                package, "archive_corrupt", _("A file inside the package archive is corrupt.")
            ) from exc


def package_check_stored(package: ReleasePackage) -> StoredPackage:
    """
    Read the stored package back and prove it is the one built: its manifest is the one
    whose SHA-256 was recorded at build, the signature verifies, and every file matches the
    manifest's hash, none missing, none added. Writes nothing; PackageDamaged says what is
    wrong (by file name and reason, never a data value).
    """
    blob = package_decrypt_stored(package)
    files = package_unzip_stored(package, blob)
    if MANIFEST not in files or SIGNATURE not in files:
        raise _damaged(
            package, "manifest_missing", _("The package has no manifest or no signature.")
        )
    if sha256_hex(files[MANIFEST]) != package.manifest_sha256:
        raise _damaged(
            package,
            "manifest_mismatch",
            _(
                "The stored manifest is not the one recorded when the package was built "
                "(its SHA-256 differs)."
            ),
        )
    if not verify_manifest(files):
        raise _damaged(
            package, "signature_invalid", _("The stored manifest's signature does not verify.")
        )
    # The stored manifest is the one built and signed (checked just above): its list holds.
    manifest = json.loads(files[MANIFEST])
    listed = {entry.get("name"): entry.get("sha256") for entry in manifest.get("files", [])}
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise _damaged(
                package,
                "file_missing",
                _("%(name)s is listed in the manifest but missing from the archive.")
                % {"name": name},
            )
        if sha256_hex(files[name]) != digest:
            raise _damaged(
                package,
                "file_hash",
                _("%(name)s does not match its SHA-256 in the manifest.") % {"name": name},
            )
    if set(files) - set(listed) - {MANIFEST, SIGNATURE}:
        raise _damaged(
            package,
            "file_unlisted",
            _("The package archive holds a file that its manifest does not list."),
        )
    return StoredPackage(zip_bytes=blob, files=files)


def package_integrity_gate(
    *, package: ReleasePackage, actor: User, operation: str
) -> StoredPackage | PackageDamaged:
    """
    Check the stored package inside the caller's transaction. When it is damaged, record
    `package.integrity_failed` and return the refusal instead of raising it. The caller,
    having written nothing else yet, returns it from its transaction so the record commits,
    and raises it afterwards, as the review gates' refusals are.
    """
    try:
        return package_check_stored(package)
    except PackageDamaged as damaged:
        audit.record(
            action="package.integrity_failed",
            actor=actor,
            target_type="disclosures.legalrequest",
            target_id=package.request_id,
            data={
                "package": package.pk,
                "reason": damaged.reason,
                "operation": operation,
                "package_status": package.status,
                "manifest_sha256": package.manifest_sha256,
            },
        )
        return damaged


def package_verify_stored(*, package: ReleasePackage, actor: User) -> dict[str, bytes]:
    """
    The stored package's files, proven intact; or PackageDamaged, raised after its
    `package.integrity_failed` record committed in this function's own transaction.
    """
    with transaction.atomic(durable=True):
        stored = package_integrity_gate(package=package, actor=actor, operation="package_verify")
    if isinstance(stored, PackageDamaged):
        raise stored
    return stored.files


# --- Download -------------------------------------------------------------------------------


def package_download(*, package_id: int, actor: User) -> bytes:
    """
    The decrypted zip, for the user who released it, while downloads are left.

    Each download is recorded; each refused attempt too (`authz.denied`), although the
    refused operation itself writes nothing. A package that fails its integrity check is
    not served and leaves a `package.integrity_failed` record.
    """
    try:
        with transaction.atomic(durable=True):
            outcome = _package_download(package_id=package_id, actor=actor)
    except DENIALS as exc:
        request_id = (
            ReleasePackage.objects.filter(pk=package_id)
            .values_list("request_id", flat=True)
            .first()
        )
        with transaction.atomic():
            audit.record(
                action="authz.denied",
                actor=actor,
                target_type="disclosures.legalrequest",
                target_id=request_id or "",
                data={
                    "operation": "package_download",
                    "rule": type(exc).__name__,
                    "package": package_id,
                },
            )
        raise
    if isinstance(outcome, DisclosureError):
        raise outcome
    return outcome


def _package_download(*, package_id: int, actor: User) -> bytes | DisclosureError:
    package = ReleasePackage.objects.select_for_update().get(pk=package_id)
    if not permissions.can_release(actor):
        raise NotPermitted
    if package.status != ReleasePackage.Status.RELEASED:
        raise DownloadRefused(_("This package is not available for download."))
    if package.released_by_id != actor.pk:
        raise DownloadRefused(_("Only the person who released the package may download it."))
    if package.downloads_left <= 0:
        raise DownloadRefused(_("No downloads are left for this package."))
    stored = package_integrity_gate(package=package, actor=actor, operation="package_download")
    if isinstance(stored, PackageDamaged):
        return stored
    blob = _with_release_proof(stored.zip_bytes, package)
    package.downloads_left -= 1
    package.save(update_fields=["downloads_left"])
    audit.record(
        action="package.downloaded",
        actor=actor,
        target=package.request,
        data={
            "package": package.pk,
            "manifest_sha256": package.manifest_sha256,
            "downloads_left": package.downloads_left,
        },
    )
    return blob


# --- Purge ----------------------------------------------------------------------------------


def packages_purge(*, now: datetime | None = None) -> int:
    """Delete the files of packages past retention and mark them purged; idempotent."""
    now = now or timezone.now()
    due = list(
        ReleasePackage.objects.filter(purge_after__lte=now)
        .exclude(status=ReleasePackage.Status.PURGED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(package_purge(package_id=pk, now=now) for pk in due)


@transaction.atomic(durable=True)
def package_purge(*, package_id: int, now: datetime) -> bool:
    package = ReleasePackage.objects.select_for_update().get(pk=package_id)
    if package.status == ReleasePackage.Status.PURGED or not package.purge_after:
        return False
    if package.purge_after > now:
        return False
    # The file goes first: if the commit then fails, the next run finds the row still due
    # and finishes; the other order could leave data on disk behind a "purged" row.
    if package.storage_path:
        with contextlib.suppress(PackageNotReady):  # a path outside storage: nothing to delete
            package_file(package.storage_path).unlink(missing_ok=True)
    package.purged_at = now
    package.downloads_left = 0
    package.storage_path = ""
    package_transition(
        package=package,
        to=ReleasePackage.Status.PURGED,
        fields=("purged_at", "downloads_left", "storage_path"),
    )
    audit.record(
        action="package.purged",
        target=package.request,
        data={"package": package.pk, "manifest_sha256": package.manifest_sha256},
    )
    return True


RELEASE_PROOF = "release-proof.json"


def _with_release_proof(blob: bytes, package: ReleasePackage) -> bytes:
    """
    Add the inclusion proof of the package's `request.released` event, and the signed
    checkpoint it is proven against, so a recipient can check with the standalone verifier
    that the release is in the audit log.
    """
    import io
    import json
    import zipfile

    from audit import log
    from audit.models import AuditLeaf
    from audit.selectors import events_for

    event = events_for(
        target_type="disclosures.legalrequest",
        target_id=package.request_id,
        actions=["request.released"],
    ).last()
    if event is None:
        return blob
    if not AuditLeaf.objects.filter(event=event).exists() or not (
        log.AuditCheckpoint.objects.filter(tree_size__gt=event.leaf.leaf_index).exists()
    ):
        log.seal_and_checkpoint()
        event.refresh_from_db()
    proof = log.inclusion_proof_for(event=event)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(blob)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(RELEASE_PROOF, json.dumps(proof, indent=2, sort_keys=True))
    return out.getvalue()
