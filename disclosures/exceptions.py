"""Domain errors of the disclosure workflow; interfaces decide how to present them."""

from __future__ import annotations


class DisclosureError(Exception):
    """A rule refused the operation; nothing was written (except an authz.denied event)."""

    message = "The operation was refused."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidTransition(DisclosureError):
    def __init__(self, *, current: str, requested: str) -> None:
        super().__init__(f"A request that is {current} cannot become {requested}.")
        self.current, self.requested = current, requested


class InvalidRequest(DisclosureError):
    """Bad input: field-level messages in `errors`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        flat = "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items())
        super().__init__(f"The request is not valid: {flat}")


class SeparationOfDutiesViolation(DisclosureError):
    """The same person may not hold two roles on one request (prepare/approve/release)."""


class NotPermitted(DisclosureError):
    message = "Your role does not allow this."


class ReauthenticationRequired(DisclosureError):
    message = "Confirm your password again: this step needs a fresh authentication."


class StaleVersion(DisclosureError):
    message = "The request changed since you loaded it; review it again."


class ChecksIncomplete(DisclosureError):
    pass


class ScopeMismatch(DisclosureError):
    pass
