"""Calling a disclosure service from a form view: its refusals become the form's errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied

from disclosures.exceptions import DisclosureError, InvalidRequest, NotPermitted


def call_for_form(form: forms.Form, call: Callable[[], Any]) -> tuple[bool, Any]:
    """
    Run the service call; (True, its result) when it succeeds, (False, None) when it refused
    the input, its messages then on the form (on their field when the form has it). A refused
    role is a 403.
    """
    try:
        return True, call()
    except NotPermitted as exc:
        raise PermissionDenied from exc
    except InvalidRequest as exc:
        for name, errors in exc.errors.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    except DisclosureError as exc:
        form.add_error(None, exc.message)
    return False, None
