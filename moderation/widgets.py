"""
Select and text widgets that write their HTML in Python, for the queue's filter form.

Django renders a widget through its form templates, one template (and one include of the
attributes template) per `<option>`: the queue's eight filters, about forty options, cost
more than the page's rows. These widgets keep Django's context (`get_context`: names, ids,
`aria-*`, selected values) and write the markup its templates would write, byte for byte
(django/forms/widgets/select.html, select_option.html, input.html, attrs.html), so the page
does not change; `tests/moderation/test_h1_widgets.py` compares them with the stock widgets.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: escaped unless the value was already safe."""
    text = "%s" % (value,)  # noqa: UP031 (the filter's exact conversion)
    return text if isinstance(value, SafeData) else escape(text)


def _shown(value: Any) -> str:
    """`{{ value }}` of a string or a lazy translation: text in the current language, escaped."""
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def attrs_html(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {_shown(name)}")
        else:
            out.append(f' {_shown(name)}="{_formatted(value)}"')
    return "".join(out)


def _select_html(widget: dict[str, Any]) -> str:
    parts = [f'<select name="{_shown(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"'
                f"{attrs_html(option['attrs'])}>{_shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class _PlainSelectRender:
    """`render` for a select without the template engine (same markup)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        context = self.get_context(name, value, attrs)  # type: ignore[attr-defined]
        # Escaped piece by piece above, as the templates' autoescape would.
        return mark_safe(_select_html(context["widget"]))  # noqa: S308


class PlainSelect(_PlainSelectRender, forms.Select):
    """A `Select` rendered without the template engine (same markup)."""


class PlainSelectMultiple(_PlainSelectRender, forms.SelectMultiple):
    """A `SelectMultiple` rendered without the template engine (same markup)."""


class PlainTextInput(forms.TextInput):
    """A `TextInput` rendered without the template engine (same markup)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
        return mark_safe(  # noqa: S308
            f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
            f"{shown}{attrs_html(widget['attrs'])}>"
        )
