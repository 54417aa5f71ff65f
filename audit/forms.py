from __future__ import annotations

from datetime import UTC
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from audit import actions, targets
from audit.selectors import EventFilters


def action_choices() -> list[tuple[str, str]]:
    """
    The filter's suggestions, from the action registry: for each kind of action (`auth`,
    `case`, ...) "every action of the kind" (`auth.*`), then its actions, labelled.
    """
    labels = actions.registered()
    choices: list[tuple[str, str]] = []
    for kind in actions.namespaces():
        choices.append((f"{kind}.*", str(_("Every %(kind)s action") % {"kind": kind})))
        choices += [(code, label) for code, label in labels.items() if code.startswith(kind + ".")]
    return choices


class ActionInput(forms.TextInput):
    """
    A text box with the registered actions as labelled suggestions (a `<datalist>`).

    A text box rather than a select, so that an auditor can still type a code or a prefix
    they know; the form accepts only registered codes and their kinds.
    """

    list_id = "audit-action-choices"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"list": self.list_id, "autocomplete": "off", **(attrs or {})})

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        box = super().render(name, value, attrs, renderer)
        options = format_html_join(
            "",
            '<option value="{}">{}</option>',
            ((code, label) for code, label in action_choices()),
        )
        return format_html('{}<datalist id="{}">{}</datalist>', box, self.list_id, options)


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        widget=ActionInput,
        help_text=_("One action, or every action of a kind (auth.*)"),
    )
    target_type = forms.ChoiceField(label=_("Target type"), required=False)
    target_id = forms.CharField(label=_("Target id"), required=False, max_length=64)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=128,
        help_text=_("A request reference (LR-2026-00014), a case (case 123), a report's id"),
    )
    since = forms.DateTimeField(
        label=_("From"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # From the registry when the form is built: the apps fill it once they are ready.
        choices = [("", _("Any")), *targets.type_choices()]
        cast(forms.ChoiceField, self.fields["target_type"]).choices = choices

    def clean_reference(self) -> list[tuple[str, str]] | None:
        text: str = self.cleaned_data["reference"].strip()
        if not text:
            return None
        found = targets.find(text)
        if not found:
            raise forms.ValidationError(
                _("Nothing recorded is known by this reference. Check it, or search by target.")
            )
        return found

    def clean_action(self) -> str:
        # Checked against the registry when the form is used, not when this module is
        # imported: the apps fill the registry once they are ready.
        code: str = self.cleaned_data["action"]
        registered = actions.registered()
        if code.endswith("*"):
            known = any(c.startswith(code[:-1]) for c in registered)
        else:
            known = not code or code in registered
        if not known:
            raise forms.ValidationError(
                _("Choose a registered action, or a kind of action ending in * (auth.*).")
            )
        return code

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            raise forms.ValidationError(_("“From” must be before “Until”."))
        return data

    def filters(self) -> EventFilters:
        if not self.is_valid():
            return EventFilters()
        data = self.cleaned_data

        def utc(value):
            return value.astimezone(UTC) if value else None

        return EventFilters(
            actor=data["actor"],
            action=data["action"],
            target_type=data["target_type"],
            target_id=data["target_id"],
            targets=tuple(data["reference"] or ()),
            since=utc(data["since"]),
            until=utc(data["until"]),
        )

    def cursor(self) -> int | None:
        return self.cleaned_data.get("after") if self.is_valid() else None

    def query_without_cursor(self) -> str:
        params = cast(QueryDict, self.data).copy()  # bound to request.GET
        params.pop("after", None)
        return params.urlencode()
