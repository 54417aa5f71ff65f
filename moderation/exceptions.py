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


class MediaRefused(ModerationError):
    """The bytes cannot become reported media; nothing was stored."""


class MediaEmpty(MediaRefused):
    message = "The body is empty: send the media file's bytes."


class MediaTypeRefused(MediaRefused):
    """Not one of the accepted image or video types, whatever the sender called it."""

    def __init__(self, *, detected: str) -> None:
        super().__init__(
            f"Unsupported media type (detected: {detected}). Send a JPEG, PNG, GIF or WebP "
            "image, or an MP4, WebM or QuickTime video."
        )
        self.detected = detected


class MediaTooLarge(MediaRefused):
    def __init__(self, *, kind: str, size: int, limit: int) -> None:
        super().__init__(f"The {kind} is {size} bytes; the limit for {kind}s is {limit} bytes.")
        self.kind, self.size, self.limit = kind, size, limit


class MediaTooManyPixels(MediaRefused):
    """A decompression bomb, or an image too large to decode safely."""

    def __init__(self, *, width: int | None, height: int | None, limit: int) -> None:
        found = f"{width}x{height} pixels" if width and height else "more pixels than allowed"
        super().__init__(
            f"The image is {found}; at most {limit} pixels are decoded "
            "(decompression bomb protection)."
        )
        self.limit = limit


class MediaTooLong(MediaRefused):
    """A video longer than MEDIA_MAX_VIDEO_SECONDS (read from its container's header)."""

    def __init__(self, *, seconds: float, limit: int) -> None:
        super().__init__(
            f"The video lasts {seconds:.0f} seconds; the limit is {limit} seconds (short videos)."
        )
        self.seconds, self.limit = seconds, limit


class MediaUndecodable(MediaRefused):
    def __init__(self, *, mime: str) -> None:
        super().__init__(
            f"The file starts like {mime} but cannot be decoded (damaged, truncated or not "
            "really that type)."
        )
        self.mime = mime


class MediaUnavailable(ModerationError):
    """The report's media was never received, or a retention purge removed its files."""

    message = "The media file is not available."
