"""
The name and type under which an order document is served.

Both come from the file's bytes, never from what the uploader called it: a PDF uploaded as
"order.png" or "order.pdf.exe" is served as "order.pdf", application/pdf. The name keeps
only the base of the uploaded name, in safe characters, so nothing in it can act as a path,
a second extension or a header parameter.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from disclosures.services.intake import DOCUMENT_TYPES

UNKNOWN_TYPE = "application/octet-stream"
UNKNOWN_EXTENSION = ".bin"
NAME_MAX = 100
HEAD_BYTES = 16

# What looks like a file type's suffix ("pdf", "exe", "jpeg", "ps1"): stripped from the end
# of an uploaded name, however many, so that none survives to mislead whoever opens it.
_TYPE_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]{1,3}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def document_type(head: bytes) -> str | None:
    """The accepted type whose signature the file's first bytes carry, or None."""
    for content_type, (magic, _extension) in DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def stored_document_type(path: Path) -> str:
    """The type of a stored document, read from its first bytes."""
    with path.open("rb") as handle:
        return document_type(handle.read(HEAD_BYTES)) or UNKNOWN_TYPE


def document_download_name(*, name: str, content_type: str, fallback: str) -> str:
    """
    `<safe base of the uploaded name><extension of the detected type>`, with no other dot;
    `fallback` (made safe too) when nothing of the uploaded name is left.
    """
    extension = DOCUMENT_TYPES[content_type][1] if content_type in DOCUMENT_TYPES else None
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, _extension = base.rpartition(".")
    if dot:  # the uploaded extension, whatever it was
        base = stem
    while _TYPE_SUFFIX.search(base):
        base = _TYPE_SUFFIX.sub("", base)
    safe = _safe(base) or _safe(fallback) or "document"
    return f"{safe}{extension or UNKNOWN_EXTENSION}"


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_-")[:NAME_MAX].strip("_-")
