"""
The base of every domain error. Services raise them; interfaces decide how to present them
(`core.forms.call_for_form` turns them into form errors, the API into JSON errors). Each domain
app subclasses these with its own base (`ModerationError`, `DisclosureError`) so a handler can
catch one app's refusals or any refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class DomainError(Exception):
    """A rule refused the operation and nothing was written."""

    # A subclass may give a lazy translation, resolved when the message is shown.
    message: str | StrPromise = "The operation was refused."

    def __init__(self, message: str | StrPromise | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidTransition(DomainError):
    """The state machine does not allow the move; `subject` names the object in the message."""

    subject = "An object"

    def __init__(self, *, current: str, requested: str) -> None:
        super().__init__(f"{self.subject} that is {current} cannot become {requested}.")
        self.current, self.requested = current, requested


class InvalidInput(DomainError):
    """Bad input: field-level messages in `errors` ("__all__" for the form as a whole)."""

    summary = "The input is not valid"

    def __init__(self, errors: dict[str, list[str]] | list[str]) -> None:
        self.errors = errors if isinstance(errors, dict) else {"__all__": list(errors)}
        flat = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items())
        super().__init__(f"{self.summary}: {flat}")


class NotPermitted(DomainError):
    """The actor's role does not allow the operation."""

    message = "Your role does not allow this."
