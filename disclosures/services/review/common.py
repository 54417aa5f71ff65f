"""Shared pieces of the review services: states, limits, guards."""

from __future__ import annotations

from django.utils.translation import gettext as _

from disclosures.exceptions import (
    DisclosureError,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
)
from disclosures.models import (
    LegalRequest,
    VerificationCheck,
)

Status = LegalRequest.Status
Result = VerificationCheck.Result

# The checklist can be filled in until the scope is submitted.
CHECKABLE = (Status.RECEIVED, Status.IN_REVIEW, Status.CLARIFICATION)
CLOSABLE = (Status.REJECTED, Status.RELEASED, Status.WITHDRAWN)
EVIDENCE_MAX = 4000
REASON_MAX = 2000


class ChecklistClosed(DisclosureError):
    """Checks are recorded only before the scope is submitted."""


def require_role(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted(_("Your role does not allow this."))


def expect_status(legal_request: LegalRequest, *statuses: str, to: str) -> None:
    """Refuse a move that the state machine allows in general but this service does not."""
    if legal_request.status not in statuses:
        raise InvalidTransition(current=legal_request.status, requested=to)


def required_text(value: str, *, field: str, limit: int = REASON_MAX) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidRequest({field: [_("This field is required.")]})
    if len(value) > limit:
        raise InvalidRequest({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return value


# --- refusals decided at the interface -------------------------------------------------------
