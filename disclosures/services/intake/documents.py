"""The order document: checked by content, hashed, stored privately, re-hashed when served."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.utils.translation import gettext as _

import audit
from disclosures import permissions
from disclosures.exceptions import NotPermitted
from disclosures.models import (
    LegalRequest,
)
from disclosures.services.intake.common import (
    DOCUMENT_TYPES,
    DOCUMENTS_SUBDIR,
    DocumentInfo,
    DocumentIntegrityError,
    DocumentUnavailable,
)
from disclosures.services.workflow import (
    records_denials,
)

if TYPE_CHECKING:
    from accounts.models import User


def _sniff(head: bytes) -> str | None:
    for content_type, (magic, _extension) in DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def document_too_big_message() -> str:
    return _("The document is larger than %(mb).1f MB.") % {
        "mb": settings.DOCUMENT_MAX_BYTES / 1_000_000
    }


class DocumentUploadLimit(FileUploadHandler):
    """
    Refuse an uploaded document while it streams in, as soon as it passes DOCUMENT_MAX_BYTES.

    Installed first in the request's upload handlers, before the body is parsed. Past the
    limit it raises SkipFile: Django closes (and so deletes) the partly received temporary
    file, discards the rest of that file without storing it, and goes on reading the form's
    other fields, so an officer who attached the wrong file keeps what they typed. The body
    as a whole is bounded by MAX_REQUEST_BODY_BYTES (config.middleware); past that the
    request is refused with 413 and nothing is parsed.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit: int = settings.DOCUMENT_MAX_BYTES
        self.refused = False

    def new_file(self, field_name: str, file_name: str, content_type: str, *args: Any) -> None:
        super().new_file(field_name, file_name, content_type, *args)
        declared = self.content_length
        if declared is not None and declared > self.limit:
            self.refused = True
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            self.refused = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the handlers after this one build the uploaded file


def inspect_document(document: UploadedFile) -> tuple[DocumentInfo | None, list[str]]:
    """Check an upload's size and real type (by its bytes) and hash it, writing nothing."""
    limit = settings.DOCUMENT_MAX_BYTES
    too_big = document_too_big_message()
    if document.size is not None and document.size > limit:
        return None, [too_big]
    digest, size, head = hashlib.sha256(), 0, b""
    for chunk in document.chunks():
        digest.update(chunk)
        size += len(chunk)
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        if size > limit:
            return None, [too_big]
    if size == 0:
        return None, [_("The document is empty.")]
    detected = _sniff(head)
    if detected is None:
        return None, [_("Only PDF, PNG or JPEG documents are accepted.")]
    declared = (document.content_type or "").split(";")[0].strip().lower()
    if declared != detected:
        return None, [
            _("The file is a %(detected)s but was sent as %(declared)s.")
            % {"detected": detected, "declared": declared or "?"}
        ]
    name = Path((document.name or "document").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())[:200] or "document"
    return (
        DocumentInfo(
            name=name,
            content_type=detected,
            size=size,
            sha256=digest.hexdigest(),
            extension=DOCUMENT_TYPES[detected][1],
        ),
        [],
    )


def documents_dir() -> Path:
    return Path(settings.PRIVATE_STORAGE_DIR) / DOCUMENTS_SUBDIR


def document_store(document: UploadedFile, info: DocumentInfo) -> tuple[Path, str]:
    """Write the upload under a random name outside static and media; check its hash."""
    directory = documents_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}{info.extension}"
    path = directory / name
    digest = hashlib.sha256()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in document.chunks():
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != info.sha256:
            raise DocumentIntegrityError(_("The document changed while it was being stored."))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, f"{DOCUMENTS_SUBDIR}/{name}"


def document_path(legal_request: LegalRequest) -> Path:
    """The stored document's file, refusing any path that leaves the documents folder."""
    if not legal_request.document:
        raise DocumentUnavailable
    base = documents_dir().resolve()
    path = (Path(settings.PRIVATE_STORAGE_DIR) / legal_request.document).resolve()
    if path.parent != base or not path.is_file():
        raise DocumentUnavailable
    return path


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- Validation ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredDocument:
    path: Path
    name: str
    content_type: str
    sha256: str
    size: int


@records_denials
def request_document_download(*, request_id: int, actor: User) -> StoredDocument:
    """
    Hand out the order document for download, recorded as `document.downloaded`.

    The file is hashed again first: a file that no longer matches the SHA-256 taken at
    intake is not served, and the mismatch is recorded.
    """
    if not permissions.can_view_requests(actor):
        raise NotPermitted
    request = LegalRequest.objects.get(pk=request_id)
    path = document_path(request)
    if _file_sha256(path) != request.document_sha256:
        with transaction.atomic(durable=True):
            audit.record(
                action="document.integrity_failed",
                actor=actor,
                target=request,
                data={"expected_sha256": request.document_sha256},
            )
        raise DocumentIntegrityError
    with transaction.atomic(durable=True):
        audit.record(
            action="document.downloaded",
            actor=actor,
            target=request,
            data={"sha256": request.document_sha256},
        )
    return StoredDocument(
        path=path,
        name=request.document_name or f"{request.reference}{path.suffix}",
        content_type=request.document_content_type or "application/octet-stream",
        sha256=request.document_sha256,
        size=request.document_size,
    )
