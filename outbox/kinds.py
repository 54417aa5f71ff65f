"""
The registry of delivery kinds. Each app registers the kinds it sends, with a label for the
screens; the outbox refuses a kind nobody registered, so a typo never reaches the platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_LABELS: dict[str, StrOrPromise] = {}


class UnknownKind(ValueError):
    pass


def register(code: str, label: StrOrPromise) -> str:
    """Declare a kind; returns the code so an app can keep it as a constant."""
    if _LABELS.get(code, label) != label:
        raise ValueError(f"Delivery kind {code!r} is already registered with another label.")
    _LABELS[code] = label
    return code


def require(code: str) -> None:
    if code not in _LABELS:
        raise UnknownKind(f"Unregistered delivery kind {code!r}: declare it in outbox_kinds.py.")


def label(code: str) -> str:
    return str(_LABELS.get(code, code))


def choices() -> list[tuple[str, str]]:
    return sorted((code, str(text)) for code, text in _LABELS.items())
