"""
The registry of audit actions: every action the trail may hold, with its label.

The audit app imports no domain app. Each app declares the actions it records in its own
`audit_actions` module, found the way admin modules are (autodiscovery, see
`AuditConfig.ready`), with `register`. `audit.record` refuses an action that is not
registered, so a typo cannot start a new kind of event that no filter or timeline reads,
and the auditor's filter and tables show the label next to the code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.functional import Promise

ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
_ACTION = re.compile(ACTION_PATTERN)

type Label = str | Promise

_labels: dict[str, Label] = {}


class ActionAlreadyRegistered(ValueError):
    """Two modules claim one action code with different labels."""


def is_well_formed(code: str) -> bool:
    """A dotted lower-case name (`case.decided`)."""
    return bool(_ACTION.match(code or ""))


def register(code: str, label: Label) -> str:
    """Declare an action the trail may hold; returns the code (handy for module constants)."""
    if not is_well_formed(code):
        raise ValueError(f"action {code!r} is not a dotted lower-case name")
    if not str(label).strip():
        raise ValueError(f"action {code!r} needs a label")
    known = _labels.get(code)
    if known is not None and str(known) != str(label):
        raise ActionAlreadyRegistered(f"action {code!r} is already registered as {known!r}")
    _labels[code] = label
    return code


def register_many(actions: Iterable[tuple[str, Label]]) -> None:
    for code, label in actions:
        register(code, label)


def is_registered(code: str) -> bool:
    return code in _labels


def label_for(code: str) -> str:
    """The action's label; the code itself for an action no longer registered (old rows)."""
    label = _labels.get(code)
    return str(label) if label is not None else code


def registered() -> dict[str, str]:
    """Every registered action and its label, sorted by code."""
    return {code: str(_labels[code]) for code in sorted(_labels)}


def namespaces() -> list[str]:
    """The first parts of the registered codes (`auth`, `case`, ...), sorted."""
    return sorted({code.split(".", 1)[0] for code in _labels})
