"""Forms of the hash bank screens: a bank's settings, an import, "bank it"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from moderation.models import Category
from signals.hash_import import MAX_IMPORT_BYTES
from signals.models import BANK_NAME, HashBank


class BankSettingsForm(forms.Form):
    """
    The settings a curator may change after creating the bank (the name stays). The service
    validates them again against the model, which also checks the name is free.
    """

    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    category = forms.ModelChoiceField(
        label=_("Category a match suggests"),
        queryset=Category.objects.order_by("name", "id"),
        required=False,
        empty_label=_("(none)"),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    pdq_threshold = forms.IntegerField(
        label=_("PDQ distance threshold"),
        min_value=0,
        max_value=256,
        initial=31,
        help_text=_("Hamming distance out of 256 bits; 31 is the industry default."),
    )
    match_percent = forms.IntegerField(
        label=_("Matching share (%)"),
        min_value=0,
        max_value=100,
        initial=100,
        help_text=_("Share of lookups the bank takes part in (100: every one)."),
    )

    SETTINGS = ("description", "category", "enabled", "pdq_threshold", "match_percent")

    @classmethod
    def initial_for(cls, bank: HashBank) -> dict[str, Any]:
        return {name: getattr(bank, name) for name in cls.SETTINGS}

    def settings(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.SETTINGS}


class BankCreateForm(BankSettingsForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=63,
        validators=[BANK_NAME],
        help_text=_("Capitals, digits and underscores, e.g. CSAM_KNOWN."),
    )
    field_order = ["name", *BankSettingsForm.SETTINGS]


class HashImportForm(forms.Form):
    """Hashes pasted or uploaded: exactly one of the two."""

    text = forms.CharField(
        label=_("Paste the hashes"),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "mono"}),
        required=False,
        strip=False,
    )
    file = forms.FileField(label=_("Or upload a file (CSV or text)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text, upload = data.get("text") or "", data.get("file")
        if upload is not None and text.strip():
            raise forms.ValidationError(_("Paste the hashes or upload a file, not both."))
        if upload is not None:
            if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError(
                    _("The file is larger than %(mb)d MB: split it.")
                    % {"mb": MAX_IMPORT_BYTES // 2**20}
                )
            try:
                text = upload.read(MAX_IMPORT_BYTES + 1).decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        if not text.strip():
            raise forms.ValidationError(_("Paste the hashes or upload a file."))
        data["hashes"] = text
        return data


class BankItForm(forms.Form):
    bank = forms.ModelChoiceField(
        label=_("Hash bank"), queryset=HashBank.objects.order_by("name", "id")
    )
