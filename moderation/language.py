"""Language of reported content, when the platform did not say (py3langid, offline model)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from moderation.dsa import content_language

MIN_LENGTH = 12  # shorter texts guess badly
MIN_CONFIDENCE = 0.80


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """
    Lower-case ISO 639-1 code of the text, or "" when too short, not confident enough, or not
    a language the DSA Transparency Database lists: the model also answers ISO 639-3 codes
    ("arz", "yue") and "zxx" (no linguistic content), which no statement may carry.
    """
    text = (text or "").strip()
    if len(text) < MIN_LENGTH:
        return ""
    code, confidence = _identifier().classify(text)
    if confidence < MIN_CONFIDENCE or content_language(code) is None:
        return ""
    return str(code).lower()
