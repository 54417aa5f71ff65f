"""Domain errors of the moderation app; interfaces decide how to present them."""

from __future__ import annotations


class ModerationError(Exception):
    """Base class: a rule refused the operation and nothing was written."""

    message = "The operation was refused."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidTransition(ModerationError):
    def __init__(self, *, current: str, requested: str) -> None:
        super().__init__(f"A case that is {current} cannot become {requested}.")
        self.current, self.requested = current, requested


class CaseAlreadyClaimed(ModerationError):
    def __init__(self, *, holder: str) -> None:
        super().__init__(f"{holder} is already working on this case.")
        self.holder = holder


class NotClaimedByActor(ModerationError):
    message = "Claim the case before acting on it (your claim may have expired)."


class NotAllowed(ModerationError):
    message = "Your role does not allow this."


class InvalidDecision(ModerationError):
    def __init__(self, errors: dict[str, list[str]] | list[str]) -> None:
        self.errors = errors if isinstance(errors, dict) else {"__all__": list(errors)}
        flat = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items())
        super().__init__(f"The decision is not valid: {flat}")


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
