"""The queue's Python-rendered widgets write what Django's widget templates write."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from moderation.widgets import PlainSelect, PlainSelectMultiple, PlainTextInput

CHOICES = [
    ("", _("Any")),
    ("open", _("Open")),
    ("a&b", 'Quote " and <tag>'),
    (3, "Three"),
    (_("Group"), [("g1", "Inner one"), ("g2", mark_safe("<b>safe</b>"))]),
]
ATTRS = [
    None,
    {"id": "id_f"},
    {"id": "id_f", "aria-invalid": "true", "aria-describedby": "id_f_helptext id_f_error"},
    {"id": "id_f", "required": True, "disabled": False, "data-x": '"><script>'},
]


@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("value", [None, "", "open", "a&b", 3, "g2", "missing"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_plain_select_writes_the_stock_markup(attrs, value, language):
    with override(language):
        stock = forms.Select(choices=CHOICES).render("status", value, attrs)
        plain = PlainSelect(choices=CHOICES).render("status", value, attrs)
    assert plain == stock


@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("value", [None, [], ["open"], ["a&b", 3, "g1"], ["missing"]])
def test_plain_select_multiple_writes_the_stock_markup(attrs, value):
    stock = forms.SelectMultiple(choices=CHOICES).render("category", value, attrs)
    plain = PlainSelectMultiple(choices=CHOICES).render("category", value, attrs)
    assert plain == stock


@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("value", [None, "", "fa, en", '"><script>alert(1)</script>', 7])
def test_plain_text_input_writes_the_stock_markup(attrs, value):
    stock = forms.TextInput().render("language", value, attrs)
    plain = PlainTextInput().render("language", value, attrs)
    assert plain == stock
