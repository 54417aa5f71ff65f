"""Domain errors of the moderation app; interfaces decide how to present them."""

from __future__ import annotations

from core import errors


class ModerationError(errors.DomainError):
    """Base class: a rule refused the operation and nothing was written."""


class InvalidTransition(ModerationError, errors.InvalidTransition):
    subject = "A case"


class DecisionTransitionRefused(InvalidTransition):
    subject = "A decision"


class BulkJobTransitionRefused(InvalidTransition):
    subject = "A bulk job"


class CaseAlreadyClaimed(ModerationError):
    def __init__(self, *, holder: str) -> None:
        super().__init__(f"{holder} is already working on this case.")
        self.holder = holder


class NotClaimedByActor(ModerationError):
    message = "Claim the case before acting on it (your claim may have expired)."


class NotAllowed(ModerationError, errors.NotPermitted):
    pass


class InvalidDecision(ModerationError, errors.InvalidInput):
    summary = "The decision is not valid"


class AppealRefused(ModerationError):
    pass


class AppealAlreadyDecided(AppealRefused):
    message = "This appeal has already been decided."


class OwnDecisionAppealed(AppealRefused):
    """Separation of duties: nobody reviews their own decision, however it was later changed."""

    message = (
        "You took this decision, or one it replaced: another senior moderator must decide "
        "the appeal."
    )


class BulkSelectionRefused(ModerationError):
    """The selection cannot become a bulk job: empty, too large, unknown or changed cases."""


class BulkJobFinished(ModerationError):
    message = "This bulk job has finished."
