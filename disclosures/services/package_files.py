"""Downloading a released package (limited, recorded) and purging packages after retention."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures import permissions
from disclosures.exceptions import (
    NotPermitted,
)
from disclosures.models import ReleasePackage
from disclosures.services.release import (
    DownloadRefused,
    PackageNotReady,
    _package_zip,
    package_file,
)
from disclosures.services.workflow import (
    DENIALS,
)


def package_download(*, package_id: int, actor: Any) -> bytes:
    """
    The decrypted zip, for the user who released it, while downloads are left.

    Each download is recorded; each refused attempt too (`authz.denied`), although the
    refused operation itself writes nothing.
    """
    try:
        return _package_download(package_id=package_id, actor=actor)
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


@transaction.atomic(durable=True)
def _package_download(*, package_id: int, actor: Any) -> bytes:
    package = ReleasePackage.objects.select_for_update().get(pk=package_id)
    if not permissions.can_release(actor):
        raise NotPermitted
    if package.status != ReleasePackage.Status.RELEASED:
        raise DownloadRefused(_("This package is not available for download."))
    if package.released_by_id != actor.pk:
        raise DownloadRefused(_("Only the person who released the package may download it."))
    if package.downloads_left <= 0:
        raise DownloadRefused(_("No downloads are left for this package."))
    blob = _with_release_proof(_package_zip(package), package)
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
    package.status = ReleasePackage.Status.PURGED
    package.purged_at = now
    package.downloads_left = 0
    package.storage_path = ""
    package.save(update_fields=["status", "purged_at", "downloads_left", "storage_path"])
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
    from audit.models import AuditEvent, AuditLeaf

    event = (
        AuditEvent.objects.filter(
            action="request.released",
            target_type="disclosures.legalrequest",
            target_id=str(package.request_id),
        )
        .order_by("-id")
        .first()
    )
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
