"""
Where reported media lives: encrypted files in private storage, never under static files.

A media item is content-addressed: `media/<ab>/<sha256>.<variant>.bin` under
PRIVATE_STORAGE_DIR, where `variant` is `original` (the bytes as received), `view` (the
downscaled rendition without metadata shown after a recorded reveal) or `guard` (the same,
blurred and greyscale, shown before). Every file is encrypted under FIELD_ENCRYPTION_KEYS
(`core.encryption`), so a copy of the disk shows no picture; a write goes to a temporary file
renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from django.conf import settings

from core.encryption import decrypt_bytes, encrypt_bytes, is_current, reencrypt_bytes

Variant = Literal["original", "view", "guard"]
VARIANTS: tuple[Variant, ...] = ("original", "view", "guard")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def media_root() -> Path:
    return Path(settings.PRIVATE_STORAGE_DIR) / "media"


def media_path(sha256: str, variant: Variant) -> Path:
    if not _SHA256.fullmatch(sha256) or variant not in VARIANTS:
        raise ValueError("not a media file name")
    return media_root() / sha256[:2] / f"{sha256}.{variant}.bin"


def media_write(sha256: str, variant: Variant, data: bytes) -> None:
    path = media_path(sha256, variant)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(encrypt_bytes(data))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def media_exists(sha256: str, variant: Variant) -> bool:
    return media_path(sha256, variant).is_file()


def media_read(sha256: str, variant: Variant) -> bytes:
    """The clear bytes; FileNotFoundError when absent (purged), DecryptionFailed if unreadable."""
    return decrypt_bytes(media_path(sha256, variant).read_bytes())


def media_delete(sha256: str) -> int:
    """Delete every variant of one item; returns how many files were removed."""
    removed = 0
    for variant in VARIANTS:
        path = media_path(sha256, variant)
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def media_files() -> Iterator[Path]:
    root = media_root()
    if root.is_dir():
        yield from sorted(root.glob("*/*.bin"))


def media_file_reencrypt(path: Path) -> bool:
    """Re-encrypt one stored file under the current key (key rotation); True if it changed."""
    token = path.read_bytes()
    if is_current(token):
        return False
    rotated = reencrypt_bytes(token)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(rotated)
        if not path.is_file():
            # Purged while it was being re-encrypted: do not bring it back.
            raise FileNotFoundError(path)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def media_leftovers(*, older_than: float) -> Iterator[tuple[str, Path]]:
    """
    Files last written before `older_than` (a Unix time), with the SHA-256 they belong to: every
    variant, and the temporary `.part` files a crash mid-write leaves ("" for those).
    """
    root = media_root()
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*")):
        if not path.is_file() or path.stat().st_mtime >= older_than:
            continue
        name = path.name
        yield (name.split(".", 1)[0] if name.endswith(".bin") else ""), path
