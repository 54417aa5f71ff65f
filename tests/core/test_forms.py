from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import PermissionDenied

from core.errors import DomainError, InvalidInput, NotPermitted
from core.forms import call_for_form, choice_field, form_add_refusal


class NoteForm(forms.Form):
    note = forms.CharField(required=False)


def _refuse(exc: Exception):
    def call():
        raise exc

    return call


def test_form_add_refusal_puts_field_messages_on_their_field_and_the_rest_on_the_form():
    form = NoteForm({"note": "x"})
    form.is_valid()

    form_add_refusal(form, InvalidInput({"note": ["Too short."], "other": ["Unknown."]}))

    assert form.errors == {"note": ["Too short."], "__all__": ["Unknown."]}


def test_call_for_form_answers_the_result_or_the_refusal_on_the_form():
    form = NoteForm({"note": "x"})
    form.is_valid()

    assert call_for_form(form, lambda: 3) == (True, 3)
    assert call_for_form(form, _refuse(DomainError("No."))) == (False, None)
    assert form.non_field_errors() == ["No."]


def test_call_for_form_turns_a_refused_role_into_a_403():
    form = NoteForm({})
    form.is_valid()

    with pytest.raises(PermissionDenied):
        call_for_form(form, _refuse(NotPermitted()))


class PickForm(forms.Form):
    pick = forms.ChoiceField(choices=[])
    note = forms.CharField()


def test_choice_field_sets_choices_and_refuses_another_kind_of_field():
    form = PickForm({"pick": "b", "note": "x"})

    choice_field(form, "pick").choices = [("a", "A"), ("b", "B")]

    assert form.is_valid()
    with pytest.raises(TypeError, match=r"PickForm\.note is not a choice field"):
        choice_field(form, "note")
