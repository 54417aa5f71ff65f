from __future__ import annotations

from datetime import UTC

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.selectors import EventFilters


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.RegexField(
        label=_("Action"),
        required=False,
        max_length=64,
        regex=r"^[a-z0-9_.]*\*?$",
        error_messages={"invalid": _("Letters, digits, dots; end with * for a prefix.")},
        help_text=_("Exact name, or a prefix ending in * (auth.*)"),
    )
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=64)
    target_id = forms.CharField(label=_("Target id"), required=False, max_length=64)
    since = forms.DateTimeField(
        label=_("From (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label=_("Until (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            raise forms.ValidationError(_("“From” must be before “Until”."))
        return data

    def filters(self) -> EventFilters:
        if not self.is_valid():
            return EventFilters()
        data = self.cleaned_data

        def utc(value):  # type: ignore[no-untyped-def]
            return value.astimezone(UTC) if value else None

        return EventFilters(
            actor=data["actor"],
            action=data["action"],
            target_type=data["target_type"],
            target_id=data["target_id"],
            since=utc(data["since"]),
            until=utc(data["until"]),
        )

    def cursor(self) -> int | None:
        return self.cleaned_data.get("after") if self.is_valid() else None

    def query_without_cursor(self) -> str:
        params = self.data.copy()
        params.pop("after", None)
        return params.urlencode()
