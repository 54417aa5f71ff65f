"""Domain errors of the disclosure workflow; interfaces decide how to present them."""

from __future__ import annotations

from core import errors


class DisclosureError(errors.DomainError):
    """A rule refused the operation; nothing was written (except an authz.denied event)."""


class InvalidTransition(DisclosureError, errors.InvalidTransition):
    subject = "A request"


class PackageTransitionRefused(InvalidTransition):
    subject = "A release package"


class NoticeTransitionRefused(InvalidTransition):
    subject = "A user notice"


class AuthorityTransitionRefused(InvalidTransition):
    subject = "An authority"


class InvalidRequest(DisclosureError, errors.InvalidInput):
    """Bad input: field-level messages in `errors`."""

    summary = "The request is not valid"


class SeparationOfDutiesViolation(DisclosureError):
    """The same person may not hold two roles on one request (prepare/approve/release)."""


class NotPermitted(DisclosureError, errors.NotPermitted):
    pass


class ReauthenticationRequired(DisclosureError):
    message = "Confirm your password again: this step needs a fresh authentication."


class StaleVersion(DisclosureError):
    message = "The request changed since you loaded it; review it again."


class ChecksIncomplete(DisclosureError):
    pass


class ScopeMismatch(DisclosureError):
    pass


class ViolationLinkMissing(ChecksIncomplete):
    """A target has no terms-violation link of its own (or lost it): the gate is closed."""


class ScopeDataChanged(ScopeMismatch):
    """The records in scope differ from those pinned at freeze and approved."""


class NoRecordsInScope(ChecksIncomplete):
    """Nothing to release: the request can only end as "no records found"."""


class PackageNotReady(DisclosureError):
    message = "There is no package ready for release."


class DownloadRefused(NotPermitted):
    """A download outside the rules (someone else, no downloads left, purged)."""


class PackageDamaged(DisclosureError):
    """
    The stored package cannot be read back intact: missing, undecryptable, truncated, not a
    zip, or unlike its manifest. `reason` is a short code for the trail; the message says
    what is wrong without any data value. A damaged package is never released or served.
    """

    message = "The stored package is damaged."

    def __init__(
        self,
        message: str | None = None,
        *,
        reason: str = "damaged",
        package_id: int | None = None,
        released: bool = False,
    ) -> None:
        super().__init__(message)
        self.reason, self.package_id, self.released = reason, package_id, released


class UnmaskLimitReached(DisclosureError):
    """
    Too many unmaskings without a legal request in the last hour. The attempt itself is
    kept (a refused PiiUnmask row and a `pii.unmask_limit_reached` event): it is what the
    auditor's alarm counts.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        used: int,
        field: str,
        record_id: int | None,
        reason: str,
        purpose: str,
    ) -> None:
        super().__init__(message)
        self.limit, self.used = limit, used
        self.field, self.record_id, self.reason, self.purpose = field, record_id, reason, purpose
