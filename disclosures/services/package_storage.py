"""
Where release packages are kept: encrypted files under the private storage's `packages/`
directory, named at random. Building writes them (`package_store`); reading them back,
downloading and purging (`package_files`) find them with `package_file`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from disclosures import crypto
from disclosures.exceptions import PackageNotReady

PACKAGE_DIR = "packages"


def storage_root() -> Path:
    return Path(settings.PRIVATE_STORAGE_DIR).resolve()


def package_file(storage_path: str) -> Path:
    """The absolute path of a stored package, refusing anything outside private storage."""
    root = storage_root()
    path = (root / storage_path).resolve()
    if not storage_path or not path.is_relative_to(root / PACKAGE_DIR):
        raise PackageNotReady(_("The package file is not in private storage."))
    return path


def package_store(blob: bytes, written: list[Path]) -> str:
    """Encrypt and write a package under a random name; return its path relative to storage."""
    directory = storage_root() / PACKAGE_DIR
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{PACKAGE_DIR}/{secrets.token_hex(20)}.bin"
    path = storage_root() / name
    written.append(path)
    with open(path, "xb") as handle:  # x: never overwrite another package
        handle.write(crypto.fernet().encrypt(blob))
    path.chmod(0o600)
    return name
