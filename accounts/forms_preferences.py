"""The signed-in user's display preferences: the time zone pages show times in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.timezones import zone_names


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_(
            "Every page shows times in this zone. Times are stored in UTC; letters and files "
            "sent to authorities keep UTC."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name.replace("_", " ")) for name in zone_names()]
        field.error_messages["invalid_choice"] = _(
            "“%(value)s” is not a time zone this system knows. Choose one from the list."
        )
