"""A service's refusal shown on the form that asked for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied

from core.errors import DomainError, InvalidInput, NotPermitted


def form_add_refusal(form: forms.Form, exc: DomainError) -> None:
    """
    Field-level messages of an `InvalidInput` go on their field (on the form as a whole when
    the form has no such field); any other refusal's message goes on the form as a whole.
    """
    if isinstance(exc, InvalidInput):
        for name, errors in exc.errors.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        form.add_error(None, exc.message)


def call_for_form(form: forms.Form, call: Callable[[], Any]) -> tuple[bool, Any]:
    """
    Run the service call; (True, its result) when it succeeds, (False, None) when it refused
    the input, its messages then on the form (`form_add_refusal`). A refused role is a 403.
    """
    try:
        return True, call()
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except DomainError as exc:
        form_add_refusal(form, exc)
    return False, None


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A form's choice field by name, typed as one, to set its choices at run time."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field.")
    return field
