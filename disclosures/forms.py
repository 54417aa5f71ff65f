"""
Forms of the intake, request list and non-disclosure review screens (authorities, targets and
the checklist have modules of their own).

They only parse what the browser sends (types, choices); the rules live in the services,
whose InvalidRequest errors the views put back on these forms.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import choice_field
from disclosures.forms_review import VersionForm
from disclosures.forms_targets import (
    TARGET_ROWS_MORE,
    TARGET_ROWS_SHOWN,
    TargetRow,
    TargetRowsField,
)
from disclosures.models import (
    DataCategory,
    LegalRequest,
    RequestTarget,
)
from disclosures.selectors.authorities import verified_authorities
from disclosures.selectors.requests import RequestCursor, RequestFilters
from disclosures.services.intake import RequestInput, iana_time_zones
from disclosures.services.nondisclosure import NOTE_MAX, ReviewOutcome
from moderation.models import Category

_LOCAL_INPUT = {"type": "datetime-local"}
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
_CASE_IDS = re.compile(r"[\s,;]+")


class WallClockField(forms.DateTimeField):
    """A date and time as written, without a time zone: the form's time zone field says which."""

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is not None and timezone.is_aware(result):
            result = timezone.make_naive(result, timezone.get_current_timezone())
        return result


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs=_LOCAL_INPUT, format=_LOCAL_FORMAT)


# --- Targets, one per row ----------------------------------------------------------------------


class RequestForm(forms.Form):
    """The intake form; multipart because of the order document."""

    instrument = forms.ChoiceField(label=_("Instrument"), choices=LegalRequest.Instrument.choices)
    authority = forms.TypedChoiceField(
        label=_("Issuing authority"),
        coerce=int,
        choices=(),
        help_text=_("Only verified authorities of the registry can send requests."),
    )
    issuer_type = forms.ChoiceField(label=_("Issuer type"), choices=LegalRequest.IssuerType.choices)
    issuing_file_number = forms.CharField(label=_("Issuing file number"), max_length=100)
    validating_file_number = forms.CharField(
        label=_("Validating file number"),
        max_length=100,
        required=False,
        help_text=_("Required for European orders issued by police or administrative bodies."),
    )
    channel = forms.ChoiceField(label=_("Received through"), choices=LegalRequest.Channel.choices)
    received_at = forms.DateTimeField(
        label=_("Received"), widget=_datetime_widget(), input_formats=[_LOCAL_FORMAT]
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=500)
    offence_category = forms.ChoiceField(label=_("Offence category"), choices=())
    offence_description = forms.CharField(
        label=_("Offence"), widget=forms.Textarea(attrs={"rows": 3})
    )
    statement_of_reasons = forms.CharField(
        label=_("Statement of reasons"), widget=forms.Textarea(attrs={"rows": 4})
    )
    data_requested = forms.MultipleChoiceField(
        label=_("Data requested"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    source_timezone = forms.ChoiceField(
        label=_("Time zone of the period"),
        choices=(),
        initial="UTC",
        help_text=_("The time zone the order gives its dates in; they are stored in UTC."),
    )
    date_from = WallClockField(
        label=_("Period from"), widget=_datetime_widget(), input_formats=[_LOCAL_FORMAT]
    )
    date_to = WallClockField(
        label=_("Period to"), widget=_datetime_widget(), input_formats=[_LOCAL_FORMAT]
    )
    targets = TargetRowsField(
        label=_("Targets"),
        help_text=_(
            "One per row: its kind and its value. Each is resolved to one platform account; "
            "unresolved ones are kept and shown."
        ),
    )
    case_ids = forms.CharField(
        label=_("Linked moderation cases"),
        help_text=_(
            "Case numbers, separated by commas: at least one must show that a target broke "
            "the terms (escalated to legal, or decided as a violation)."
        ),
    )
    emergency = forms.BooleanField(label=_("Emergency"), required=False)
    emergency_justification = forms.CharField(
        label=_("Emergency justification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    nondisclosure = forms.ChoiceField(
        label=_("Non-disclosure order"),
        choices=LegalRequest.NonDisclosure.choices,
        initial=LegalRequest.NonDisclosure.NONE,
    )
    nondisclosure_expires_at = forms.DateTimeField(
        label=_("Non-disclosure expires"),
        widget=_datetime_widget(),
        input_formats=[_LOCAL_FORMAT],
        required=False,
        help_text=_(
            "Leave empty if the order has no end date: it will then be reviewed periodically "
            "to confirm it still applies."
        ),
    )
    document = forms.FileField(
        label=_("Order document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        help_text=_("PDF, PNG or JPEG. Its SHA-256 is recorded."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        authorities = list(verified_authorities())
        self._countries = {a.pk: a.country for a in authorities}
        choice_field(self, "authority").choices = [("", "—")] + [
            (a.pk, str(a)) for a in authorities
        ]
        choice_field(self, "offence_category").choices = [("", "—")] + [
            (c.code, c.name) for c in Category.objects.order_by("sort_order", "name")
        ]
        choice_field(self, "source_timezone").choices = [(z, z) for z in sorted(iana_time_zones())]
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().strftime(_LOCAL_FORMAT))
        for field in self.fields.values():
            if field.required:
                field.widget.attrs["aria-required"] = "true"
        # A national phone number is read in the issuing authority's country, as the service does.
        authority = str(self.data.get(self.add_prefix("authority"), "")) if self.is_bound else ""
        targets = self.fields["targets"]
        if isinstance(targets, TargetRowsField) and authority.isdigit() and len(authority) < 19:
            targets.region = self._countries.get(int(authority))

    def target_rows(self) -> list[dict[str, Any]]:
        """The rows the page shows: what was sent back, then empty ones to fill."""
        sent: list[TargetRow] = list(self["targets"].value() or []) if self.is_bound else []
        while sent and not any(sent[-1]):
            sent.pop()  # keep inner blank rows: an error's "Row 3" must stay row 3
        shown = sent + [("", "")] * max(TARGET_ROWS_SHOWN - len(sent), 1)
        return [
            {"number": n, "kind": kind, "value": value}
            for n, (kind, value) in enumerate(shown, start=1)
        ]

    def more_target_rows(self) -> list[dict[str, Any]]:
        """Empty rows behind a "more targets" disclosure: more rows without JavaScript."""
        start = len(self.target_rows()) + 1
        return [
            {"number": n, "kind": "", "value": ""} for n in range(start, start + TARGET_ROWS_MORE)
        ]

    @property
    def target_kinds(self) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in RequestTarget.Kind.choices]

    def document_to_choose_again(self) -> str:
        """
        The name of the document sent with a form that came back with errors: a browser
        cannot send a file back, so the page says it must be chosen again.
        """
        if not self.is_bound:
            return ""
        document = self.files.get(self.add_prefix("document"))
        return str(getattr(document, "name", "") or "") if document else ""

    def clean_case_ids(self) -> tuple[int, ...]:
        raw = self.cleaned_data.get("case_ids", "")
        ids: list[int] = []
        for part in _CASE_IDS.split(raw.strip()):
            part = part.removeprefix("#")
            if not part:
                continue
            # isdigit() alone accepts "¹" or "٣", which int() then refuses or reads otherwise.
            if not (part.isascii() and part.isdigit()) or len(part) > 18:
                raise forms.ValidationError(_("Give case numbers, such as 12, 15."))
            ids.append(int(part))
        return tuple(ids)

    def to_input(self) -> RequestInput:
        data = self.cleaned_data
        return RequestInput(
            instrument=data["instrument"],
            authority_id=data["authority"],
            issuer_type=data["issuer_type"],
            issuing_file_number=data["issuing_file_number"],
            validating_file_number=data.get("validating_file_number", ""),
            channel=data["channel"],
            received_at=data["received_at"],
            legal_basis=data["legal_basis"],
            offence_category=data["offence_category"],
            offence_description=data["offence_description"],
            statement_of_reasons=data["statement_of_reasons"],
            data_requested=tuple(data.get("data_requested") or ()),
            date_from=data["date_from"],
            date_to=data["date_to"],
            source_timezone=data["source_timezone"],
            targets=tuple(data["targets"]),
            case_ids=data["case_ids"],
            emergency=data.get("emergency", False),
            emergency_justification=data.get("emergency_justification", ""),
            nondisclosure=data.get("nondisclosure") or LegalRequest.NonDisclosure.NONE,
            nondisclosure_expires_at=data.get("nondisclosure_expires_at"),
        )


class NondisclosureReviewForm(VersionForm):
    """The periodic review of a non-disclosure order (one with an end date can only be lifted)."""

    outcome = forms.ChoiceField(
        label=_("Outcome of the review"),
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the authority or the court said, e.g. a court order extending it."),
    )
    expires_at = forms.DateTimeField(
        label=_("End date"),
        widget=_datetime_widget(),
        input_formats=[_LOCAL_FORMAT],
        required=False,
        help_text=_("Only when the order now ends on a date."),
    )

    def __init__(self, *args: Any, indefinite: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "ndo")
        super().__init__(*args, **kwargs)
        if not indefinite:
            choice_field(self, "outcome").choices = [
                (ReviewOutcome.LIFTED, ReviewOutcome.LIFTED.label)
            ]
            del self.fields["expires_at"]


STATUS_FILTERS = [
    ("", _("All")),
    ("open", _("Open")),
    ("finished", _("Finished")),
    *LegalRequest.Status.choices,
]


class RequestFilterForm(forms.Form):
    """Reads the request list's query string; unknown values are errors, never a crash."""

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    instrument = forms.ChoiceField(
        label=_("Instrument"),
        choices=[("", _("All")), *LegalRequest.Instrument.choices],
        required=False,
    )
    country = forms.RegexField(
        label=_("Authority country"),
        regex=r"^\s*([A-Za-z]{2})?\s*$",
        required=False,
        max_length=2,
        widget=forms.TextInput(attrs={"size": 3, "placeholder": "FR"}),
        error_messages={"invalid": _("Use a two-letter country code such as FR.")},
    )
    cursor = forms.RegexField(regex=r"^\d_-?\d+_\d+$", required=False, widget=forms.HiddenInput)

    def filters(self) -> RequestFilters:
        if not self.is_bound or not self.is_valid():
            return RequestFilters()
        data = self.cleaned_data
        return RequestFilters(
            status=data.get("status") or "",
            instrument=data.get("instrument") or "",
            country=(data.get("country") or "").strip().upper(),
        )

    def cursor_value(self) -> RequestCursor | None:
        if not self.is_bound or not self.is_valid():
            return None
        return RequestCursor.decode(self.cleaned_data.get("cursor"))
