"""Forms of the search policy pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from search_policy.allowlist import AllowedTermInput
from search_policy.models import AllowedTerm, BlockedTerm, Category, DelistedEntity
from search_policy.services import EntityInput, TermInput


def _codes(value: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.replace(";", ",").split(",") if c.strip())


class TermAddForm(forms.Form):
    term = forms.CharField(label=_("Term"), max_length=200)
    match_type = forms.ChoiceField(label=_("Match"), choices=BlockedTerm.MatchType.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    source = forms.ChoiceField(label=_("Source"), choices=BlockedTerm.Source.choices)
    confidential = forms.BooleanField(
        label=_("Confidential (licensed list: shown only to senior moderators)"), required=False
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        help_text=_("Two-letter codes, comma-separated; empty: all."),
    )
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        help_text=_("ISO 3166 codes, comma-separated; empty: all."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def term_input(self) -> TermInput:
        d = self.cleaned_data
        return TermInput(
            term=d["term"],
            match_type=d["match_type"],
            category=d["category"],
            source=d["source"],
            confidential=d["confidential"],
            languages=_codes(d["languages"]),
            countries=_codes(d["countries"]),
            reason=d["reason"],
        )


class AllowedTermForm(forms.Form):
    term = forms.CharField(label=_("Term"), max_length=200)
    match_type = forms.ChoiceField(label=_("Match"), choices=AllowedTerm.MatchType.choices)
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        help_text=_("Two-letter codes, comma-separated; empty: all."),
    )
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        help_text=_("ISO 3166 codes, comma-separated; empty: all."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def allowed_input(self) -> AllowedTermInput:
        d = self.cleaned_data
        return AllowedTermInput(
            term=d["term"],
            match_type=d["match_type"],
            languages=_codes(d["languages"]),
            countries=_codes(d["countries"]),
            reason=d["reason"],
        )


class DelistForm(forms.Form):
    entity_type = forms.ChoiceField(label=_("Type"), choices=DelistedEntity.Type.choices)
    platform_id = forms.CharField(label=_("Platform id"), max_length=128)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    expires_at = forms.DateTimeField(label=_("Expires"), required=False)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def entity_input(self) -> EntityInput:
        d = self.cleaned_data
        return EntityInput(
            entity_type=d["entity_type"],
            platform_id=d["platform_id"],
            category=d["category"],
            reason=d["reason"],
            expires_at=d["expires_at"],
        )


class RemoveForm(forms.Form):
    reason = forms.CharField(label=_("Why remove it"), max_length=500)


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("active", _("Active")), ("removed", _("Removed")), ("all", _("All"))],
        required=False,
    )
    q = forms.CharField(max_length=128, required=False)
