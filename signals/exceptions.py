"""The signals app's refusals, each with the message a user or an API client is shown."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidInput, NotPermitted


class SignalsError(DomainError):
    """Base of the signals app's refusals."""


class BankInputInvalid(SignalsError, InvalidInput):
    summary = "The bank's settings are not valid"


class ImportRejected(SignalsError, InvalidInput):
    """
    The file had bad lines and nothing was imported; `line_errors` holds every one of them as
    (line number, message), line 1 being the file's first line.
    """

    summary = "Nothing was imported"

    def __init__(self, line_errors: list[tuple[int, str]]) -> None:
        self.line_errors = line_errors
        super().__init__({"text": [format_line_error(n, m) for n, m in line_errors]})


class BankItRefused(SignalsError):
    """The decision's media cannot be banked (see `bank_it_refusal`)."""


class NotAllowed(SignalsError, NotPermitted):
    pass


def format_line_error(line: int, message: str) -> str:
    return _("Line %(line)d: %(message)s") % {"line": line, "message": message} if line else message
