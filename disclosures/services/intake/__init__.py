"""
Registering a legal request, acknowledging it, and serving its order document.

Split by concern: `common` (limits, input types, errors), `targets` (parsing and resolving
identifiers), `documents` (checking, storing and serving the order document), `register`
(validation of the whole request and the writes).
"""

from disclosures.services.intake.common import (
    DOCUMENT_TYPES,
    MAX_DATE_RANGE,
    MAX_TARGETS,
    AlreadyAcknowledged,
    DocumentInfo,
    DocumentIntegrityError,
    DocumentUnavailable,
    ParsedTarget,
    RequestInput,
    iana_time_zones,
)
from disclosures.services.intake.documents import (
    DocumentUploadLimit,
    StoredDocument,
    document_path,
    document_too_big_message,
    documents_dir,
    inspect_document,
    request_document_download,
)
from disclosures.services.intake.register import request_acknowledge, request_register
from disclosures.services.intake.targets import parse_target, resolve_target

__all__ = [
    "DOCUMENT_TYPES",
    "MAX_DATE_RANGE",
    "MAX_TARGETS",
    "AlreadyAcknowledged",
    "DocumentInfo",
    "DocumentIntegrityError",
    "DocumentUnavailable",
    "DocumentUploadLimit",
    "ParsedTarget",
    "RequestInput",
    "StoredDocument",
    "document_path",
    "document_too_big_message",
    "documents_dir",
    "iana_time_zones",
    "inspect_document",
    "parse_target",
    "request_acknowledge",
    "request_document_download",
    "request_register",
    "resolve_target",
]
