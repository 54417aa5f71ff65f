"""The "Retrain now" form: one category, or every category when none is chosen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from moderation.models import Category


class RetrainForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("sort_order", "pk"),
        required=False,
        empty_label=_("(every category)"),
    )
