"""Forms of the moderator tools: an internal note, a reply template."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from moderation.models import Category, ReplyTemplate
from moderation.services.notes import NOTE_MAX_LENGTH
from moderation.services.reply_templates import ReplyTemplateInput


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        error_messages={"required": _("Write the note before adding it.")},
    )


class ReplyTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("sort_order", "name"),
        required=False,
        empty_label=_("Every category"),
    )
    language = forms.RegexField(
        label=_("Language (ISO 639-1, e.g. en, fr)"),
        regex=r"^[a-zA-Z]{2,3}$",
        max_length=8,
        initial="en",
        error_messages={"invalid": _("Give a two- or three-letter language code, e.g. en.")},
    )
    field = forms.ChoiceField(label=_("Inserted into"), choices=ReplyTemplate.Field.choices)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
    shortcut = forms.IntegerField(
        label=_("Shortcut key (Alt+1 … Alt+9)"), min_value=1, max_value=9, required=False
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    @classmethod
    def for_template(cls, template: ReplyTemplate) -> ReplyTemplateForm:
        return cls(
            initial={
                "title": template.title,
                "category": template.category,
                "language": template.language,
                "field": template.field,
                "body": template.body,
                "shortcut": template.shortcut,
                "active": template.active,
            }
        )

    def to_input(self) -> ReplyTemplateInput:
        data = self.cleaned_data
        return ReplyTemplateInput(
            title=data["title"],
            category=data["category"],
            language=data["language"],
            field=data["field"],
            body=data["body"],
            shortcut=data["shortcut"],
            active=data["active"],
        )
