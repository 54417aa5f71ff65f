"""Forms of the moderation screens: queue filters and the decision form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.parsing import parse_id
from moderation import chat_kinds
from moderation.dsa import EU_EEA_COUNTRIES, KEYWORDS, STATEMENT_CATEGORIES
from moderation.models import Case, Category, Subject
from moderation.models.decisions import Action, Ground
from moderation.selectors.queue import QueueFilters, category_choices
from moderation.services.decisions import DecisionInput
from moderation.widgets import PlainSelect, PlainSelectMultiple, PlainTextInput

SOURCE_CHOICES = [
    ("user", _("User notice")),
    ("trusted_flagger", _("Trusted flagger")),
    ("authority", _("Authority")),
    ("automated", _("Automated")),
]
DEADLINE_CHOICES = [
    ("", _("Any deadline")),
    ("overdue", _("Overdue")),
    ("due_soon", _("Due within 4 hours")),
    ("on_time", _("On time")),
]
ORDER_CHOICES = [("priority", _("Priority")), ("age", _("Oldest first"))]
SIGNAL_CHOICES = [
    ("", _("Any")),
    ("hash_match", _("Matched a hash bank")),
    ("blocked_term", _("Search query hit a blocked term")),
]
QUEUE_STATUSES = [
    (Case.Status.OPEN, _("Open")),
    (Case.Status.CLAIMED, _("Claimed")),
    (Case.Status.ESCALATED, _("Escalated to senior")),
    (Case.Status.LEGAL, _("Escalated to legal")),
    (Case.Status.RESOLVED, _("Resolved")),
]


def _pretty(code: str, prefix: str) -> str:
    return code.removeprefix(prefix).replace("_", " ").capitalize()


class IdChoiceField(forms.ModelMultipleChoiceField):
    """Primary keys from a query string: anything but a 64-bit id is refused as invalid.

    Without this, "10000000000000000000" reaches the database, where SQLite raises
    OverflowError (a 500) instead of the form answering with an error.
    """

    def _check_values(self, value):
        for item in value or ():
            if parse_id(str(item)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(item)[:20]},
                )
        return super()._check_values(value)


class QueueFilterForm(forms.Form):
    """Reads the queue's query string; unknown values are errors, never a crash."""

    # Widgets that write their markup in Python: the same HTML, without a template per option.
    status = forms.ChoiceField(
        label=_("Status"), choices=QUEUE_STATUSES, required=False, widget=PlainSelect
    )
    category = IdChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        widget=PlainSelectMultiple,
    )
    source = forms.MultipleChoiceField(
        label=_("Source"), choices=SOURCE_CHOICES, required=False, widget=PlainSelectMultiple
    )
    subject_type = forms.MultipleChoiceField(
        label=_("Subject"),
        choices=Subject.Type.choices,
        required=False,
        widget=PlainSelectMultiple,
    )
    language = forms.RegexField(
        label=_("Languages"),
        regex=r"^\s*([a-z]{2,3}(\s*,\s*[a-z]{2,3})*)?\s*$",
        required=False,
        help_text=_("Comma-separated ISO codes, e.g. fa, ar"),
        error_messages={"invalid": _("Use comma-separated language codes such as fa, en.")},
        widget=PlainTextInput,
    )
    deadline = forms.ChoiceField(
        label=_("Deadline"), choices=DEADLINE_CHOICES, required=False, widget=PlainSelect
    )
    signal = forms.ChoiceField(
        label=_("Automated signal"), choices=SIGNAL_CHOICES, required=False, widget=PlainSelect
    )
    order = forms.ChoiceField(
        label=_("Order"), choices=ORDER_CHOICES, required=False, widget=PlainSelect
    )
    cursor = forms.RegexField(regex=r"^-?\d+(_\d+)?$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The options from ids and names only, read when the widget renders (a callable is
        # evaluated then: claim-next reads this form and never shows it). The queryset still
        # checks the ids submitted.
        self.fields["category"].widget.choices = category_choices

    def filters(self, default: QueueFilters | None = None) -> QueueFilters:
        """The filters asked for; `default` (the moderator's routing) when none or invalid."""
        default = default or QueueFilters()
        if not self.is_bound or not self.is_valid():
            return default
        data = self.cleaned_data
        languages = tuple(
            code.strip() for code in (data.get("language") or "").split(",") if code.strip()
        )
        return QueueFilters(
            status=data.get("status") or Case.Status.OPEN,
            categories=tuple(c.pk for c in data["category"]),
            sources=tuple(data.get("source") or ()),
            subject_types=tuple(data.get("subject_type") or ()),
            languages=languages,
            deadline=data.get("deadline") or "",
            signal=data.get("signal") or "",
            order=data.get("order") or "priority",
        )

    @classmethod
    def for_routing(cls, default: QueueFilters) -> QueueFilterForm:
        """An unbound form showing the moderator's routing as its starting values."""
        return cls(
            initial={"language": ", ".join(default.languages), "category": list(default.categories)}
        )

    def cursor_value(self) -> str | None:
        return (self.cleaned_data.get("cursor") or None) if self.is_valid() else None


class NumberedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose first nine answer the keys 1-9 on the case page (js/moderation.js)."""

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if index < 9:
            option["attrs"]["data-hotkey"] = str(index + 1)
        return option


class DecisionForm(forms.Form):
    """
    The decision on a case: actions, ground, DSA fields, facts. Validated by DecisionInput.

    `chat_kind` is the case's: the actions it makes impossible are not offered (the service
    refuses them anyway, whoever posts them).
    """

    actions = forms.MultipleChoiceField(
        label=_("Actions"), choices=Action.choices, widget=NumberedCheckboxes
    )
    # Checkbox lists in a filterable <details> (no ctrl-click), shown only when they apply.
    countries = forms.MultipleChoiceField(
        label=_("Countries (for “Restrict in named countries”)"),
        choices=[(c, c) for c in EU_EEA_COUNTRIES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    restrict_days = forms.IntegerField(
        label=_("Restriction (days)"), min_value=1, max_value=3650, required=False
    )
    suspend_days = forms.IntegerField(
        label=_("Suspension (days)"), min_value=1, max_value=3650, required=False
    )
    ground = forms.ChoiceField(
        label=_("Ground"), choices=[("", "—"), *Ground.choices], required=False
    )
    legal_ground = forms.CharField(label=_("Legal ground"), max_length=500, required=False)
    terms_clause = forms.CharField(label=_("Terms clause"), max_length=500, required=False)
    dsa_category = forms.ChoiceField(
        label=_("DSA category"),
        choices=[
            ("", "—"),
            *sorted((c, _pretty(c, "STATEMENT_CATEGORY_")) for c in STATEMENT_CATEGORIES),
        ],
        required=False,
    )
    dsa_keywords = forms.MultipleChoiceField(
        label=_("DSA keywords"),
        choices=sorted((k, _pretty(k, "KEYWORD_")) for k in KEYWORDS),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    facts = forms.CharField(
        label=_("Facts and circumstances"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )
    explanation = forms.CharField(
        label=_("Explanation for the user"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args: Any, chat_kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chat_kind = chat_kind
        self.impossible = chat_kinds.impossible_actions(chat_kind)
        if self.impossible:
            # Only the checkboxes go: a forged value still reaches the service, which
            # answers with why the action is impossible rather than "not a valid choice".
            offered = [(v, label) for v, label in Action.choices if v not in self.impossible]
            self.fields["actions"].widget = NumberedCheckboxes(choices=offered)

    @property
    def impossible_note(self) -> str:
        """One line saying which actions are not offered for the chat kind, and why."""
        if not self.impossible:
            return ""
        # Grouped by reason: a secret chat rules out five actions for one reason.
        by_reason: dict[str, list[str]] = {}
        for action in Action.values:
            if action in self.impossible:
                by_reason.setdefault(self.impossible[action], []).append(
                    f"“{Action(action).label}”"
                )
        reasons = "; ".join(f"{', '.join(labels)} ({why})" for why, labels in by_reason.items())
        kind = str(Subject.ChatKind(self.chat_kind).label).lower()
        return gettext("Not offered in a %(kind)s: %(reasons)s.") % {
            "kind": kind,
            "reasons": reasons,
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        for name, messages in self.to_input().validate().items():
            for message in messages:
                self.add_error(None if name not in self.fields else name, message)
        return data

    def to_input(self) -> DecisionInput:
        data = self.cleaned_data
        return DecisionInput(
            actions=tuple(data.get("actions") or ()),
            ground=data.get("ground") or "",
            legal_ground=data.get("legal_ground") or "",
            terms_clause=data.get("terms_clause") or "",
            explanation=data.get("explanation") or "",
            facts=data.get("facts") or "",
            dsa_category=data.get("dsa_category") or "",
            dsa_keywords=tuple(data.get("dsa_keywords") or ()),
            countries=tuple(data.get("countries") or ()),
            restrict_days=data.get("restrict_days"),
            suspend_days=data.get("suspend_days"),
        )
