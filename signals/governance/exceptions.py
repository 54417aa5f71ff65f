"""Refusals of signals.governance's services (the interfaces decide how to show them)."""

from __future__ import annotations

from core.errors import DomainError, InvalidInput, NotPermitted


class GovernanceError(DomainError):
    """Base of the governance refusals."""


class NotAllowed(GovernanceError, NotPermitted):
    pass


class StepUpRequired(GovernanceError):
    message = "This change needs a fresh confirmation that it is you."


class GovernanceInputInvalid(GovernanceError, InvalidInput):
    summary = "The change is not valid"


class StaleMode(GovernanceError):
    """The detector's mode changed since the page was shown: nothing was changed."""

    message = (
        "Someone changed this detector's mode since you opened the page. "
        "Check its current mode and try again."
    )


class AlreadyReviewed(GovernanceError):
    message = "This automatic action was already reviewed by someone else."
