"""Forms of governed automation: a detector's mode, a category's rule, a review."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from moderation.models.decisions import Action
from signals.governance.modes import REASON_MAX
from signals.governance.services import AUTO_ACTIONS, NOTE_MAX
from signals.models import AutomatedAction, Detector

_ACTION_LABELS = dict(Action.choices)


class DetectorModeForm(forms.Form):
    key = forms.CharField(max_length=120, widget=forms.HiddenInput)
    # The mode the page showed: a change made by someone else since then is refused.
    expected_mode = forms.ChoiceField(choices=Detector.Mode.choices, widget=forms.HiddenInput)
    mode = forms.ChoiceField(label=_("New mode"), choices=Detector.Mode.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        error_messages={"required": _("Say why the mode changes.")},
    )


class RuleForm(forms.Form):
    enabled = forms.BooleanField(label=_("Automatic action on"), required=False)
    threshold = forms.IntegerField(
        label=_("Score threshold (0-100)"),
        min_value=0,
        max_value=100,
        error_messages={
            "required": _("Give a score between 0 and 100."),
            "min_value": _("Give a score between 0 and 100."),
            "max_value": _("Give a score between 0 and 100."),
            "invalid": _("Give a score between 0 and 100."),
        },
    )
    actions = forms.MultipleChoiceField(
        label=_("Actions"),
        required=False,
        choices=[(a, _ACTION_LABELS[a]) for a in AUTO_ACTIONS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "%(value)s is not an automatic action: choose content actions only."
            )
        },
    )
    sample_percent = forms.IntegerField(
        label=_("Share sampled for review (%)"),
        min_value=0,
        max_value=100,
        error_messages={
            "required": _("Give a share between 0 and 100 per cent."),
            "min_value": _("Give a share between 0 and 100 per cent."),
            "max_value": _("Give a share between 0 and 100 per cent."),
            "invalid": _("Give a share between 0 and 100 per cent."),
        },
    )

    def settings(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "enabled": data["enabled"],
            "threshold": data["threshold"],
            "actions": list(data["actions"]),
            "sample_percent": data["sample_percent"],
        }


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Your verdict"),
        choices=[
            (AutomatedAction.Review.AGREE, _("Agree: the right decision")),
            (AutomatedAction.Review.DISAGREE, _("Disagree: a person would have decided otherwise")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose agree or disagree.")},
    )
    note = forms.CharField(
        label=_("Note (required when you disagree)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("verdict") == AutomatedAction.Review.DISAGREE
            and not (data.get("note") or "").strip()
        ):
            self.add_error("note", _("Say what the right decision would have been, and why."))
        return data
