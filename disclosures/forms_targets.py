"""
The intake form's targets, one per row with their kind (no `account_id:` syntax to learn),
turned into the `kind:value` lines the intake service reads.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from disclosures.models import (
    RequestTarget,
)
from disclosures.services.intake import MAX_TARGETS
from disclosures.services.intake.targets import parse_target

TARGET_ROWS_SHOWN = 5  # rows offered; a form sent back keeps its rows plus an empty one
TARGET_ROWS_MORE = 15  # behind "more targets", so a long list needs no JavaScript
TargetRow = tuple[str, str]  # (kind, value), either may be empty


class TargetRowsWidget(forms.Widget):
    """
    Rows of (kind, value) sent as repeated `targets-kind` / `targets-value` inputs, so several
    targets need no JavaScript. A `targets` text of `kind:value` lines is still read (the
    format the service takes, used by older clients and scripts).
    """

    def value_from_datadict(
        self, data: Any, files: MultiValueDict[str, Any], name: str
    ) -> list[TargetRow]:
        getlist = getattr(data, "getlist", None)
        if getlist is None:
            return []
        kinds, values = getlist(f"{name}-kind"), getlist(f"{name}-value")
        if kinds or values:
            size = max(len(kinds), len(values))
            kinds += [""] * (size - len(kinds))
            values += [""] * (size - len(values))
            return [(str(k).strip(), str(v).strip()) for k, v in zip(kinds, values, strict=True)]
        legacy = data.get(name)
        if isinstance(legacy, str) and legacy.strip():
            rows = []
            for line in legacy.splitlines():
                kind, sep, value = line.partition(":")
                rows.append((kind.strip().lower(), value.strip()) if sep else ("", line.strip()))
            return rows
        return []

    def value_omitted_from_data(
        self, data: Any, files: MultiValueDict[str, Any], name: str
    ) -> bool:
        return False


class TargetRowsField(forms.Field):
    """
    The targets as rows of kind and value. Cleaned into the service's `kind:value` lines, one
    per row and blank rows kept as blank lines, so a "Line 3" from the service is row 3 here.
    """

    widget = TargetRowsWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)
        self.region: str | None = None  # the authority's country, for national phone numbers

    def to_python(self, value: Any) -> list[TargetRow]:
        return list(value or [])

    def validate(self, value: list[TargetRow]) -> None:
        if self.required and not any(k or v for k, v in value):
            raise forms.ValidationError(
                _("Name at least one target: choose its kind and enter its value."),
                code="required",
            )

    def clean(self, value: Any) -> tuple[str, ...]:
        rows = self.to_python(value)
        self.validate(rows)
        kinds = set(RequestTarget.Kind.values)
        errors: list[forms.ValidationError] = []
        lines: list[str] = []
        filled = 0
        for number, (kind, raw) in enumerate(rows, start=1):
            if not kind and not raw:
                lines.append("")
                continue
            filled += 1
            problem: str | None = None
            if not raw:
                problem = str(_("enter the account id, username or phone number."))
            elif kind not in kinds:
                problem = str(
                    _("choose whether it is an account id, a username or a phone number.")
                )
            else:
                try:
                    parse_target(f"{kind}:{raw}", region=self.region)
                except ValueError as exc:
                    problem = str(exc)
            if problem is not None:
                errors.append(
                    forms.ValidationError(
                        _("Row %(n)d: %(problem)s"), params={"n": number, "problem": problem}
                    )
                )
            lines.append(f"{kind}:{raw}")
        if filled > MAX_TARGETS:
            errors.append(
                forms.ValidationError(
                    _("At most %(max)d targets: a request must name specific accounts."),
                    params={"max": MAX_TARGETS},
                )
            )
        if errors:
            raise forms.ValidationError(errors)
        return tuple(lines)
