"""
Model files, outside the database: `PRIVATE_STORAGE_DIR/models/<file_name>`, written once.

joblib (pickle) runs code when it loads a file, so a file is loaded only when its SHA-256 is
the one recorded when this app wrote it; the bytes checked are the bytes loaded (read once).
Loaded models are kept per process by version id (and SHA-256): a version's file never changes.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings

from signals.classifier.learning import Fitted
from signals.models import ModelVersion

logger = logging.getLogger(__name__)

# Loaded models per process; a handful of categories, each a few megabytes.
CACHE_MAX = 32
_cache: dict[tuple[int, str], Fitted] = {}
_cache_lock = threading.Lock()


class ModelFileRefused(Exception):
    """The file is missing, or is not the one this app wrote (its SHA-256 differs)."""


def models_dir() -> Path:
    return Path(settings.PRIVATE_STORAGE_DIR) / "models"


def model_save(fitted: Fitted, *, file_name: str) -> str:
    """Write the model's file (atomically: a reader never sees half a file); its SHA-256."""
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    joblib.dump(fitted.as_payload(), buffer)
    data = buffer.getvalue()
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / file_name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()


def model_delete(*, file_name: str) -> None:
    (models_dir() / file_name).unlink(missing_ok=True)


def model_load(version: ModelVersion) -> Fitted:
    """The version's model, from this process's cache or its checked file."""
    with _cache_lock:
        cached = _cache.get((version.pk, version.sha256))
    if cached is not None:
        return cached
    path = models_dir() / Path(version.file_name).name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileRefused(f"{version}: cannot read {path.name} ({exc}).") from exc
    if hashlib.sha256(data).hexdigest() != version.sha256:
        raise ModelFileRefused(
            f"{version}: {path.name} is not the file this app wrote (SHA-256 differs); "
            "refusing to load it."
        )
    payload: dict[str, Any] = joblib.load(io.BytesIO(data))
    fitted = Fitted(
        scorer=payload["model"], explainer=payload["explainer"], sklearn_version=payload["sklearn"]
    )
    with _cache_lock:
        if len(_cache) >= CACHE_MAX:
            _cache.clear()
        _cache[(version.pk, version.sha256)] = fitted
    return fitted


def cache_clear() -> None:
    with _cache_lock:
        _cache.clear()
