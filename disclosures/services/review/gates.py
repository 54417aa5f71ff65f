"""
The gates a request passes on its way to a release, and what happens when one is found
closed: scope freeze, each approval, the package build and the release each re-evaluate
every target's terms-violation link, and the build recomputes the data pinned at freeze.

A link that disappeared after the freeze (decision reversed on appeal, case reopened), or
data that changed after it, cannot be waved through: the request is sent back to review
(the scope and its approvals void, an unreleased package superseded), recorded as
`request.sent_back`, and the gate refuses with a message naming the target and the case, or
what changed. The send-back commits even though the operation is refused; the services call
`gate_refusal` inside their transaction and raise the returned error after it committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

import audit
from disclosures.exceptions import DisclosureError, ScopeDataChanged, ViolationLinkMissing
from disclosures.models import LegalRequest, Scope
from disclosures.package import ScopeSpec, extract
from disclosures.pins import DataPins, pins_diff, pins_from_data
from disclosures.selectors.violations import LinkState, TargetLink, link_problems, target_links
from disclosures.services.package_live import packages_supersede
from disclosures.services.workflow import request_transition

if TYPE_CHECKING:
    from accounts.models import User

Status = LegalRequest.Status
SENDS_BACK = (Status.PENDING_APPROVAL, Status.APPROVED)


def send_back(
    *, legal_request: LegalRequest, actor: User, gate: str, reason: str, details: dict[str, Any]
) -> None:
    """Back to review, in the caller's transaction: scope and votes void, package superseded."""
    from disclosures.services.review.scope import scope_invalidate  # scope imports this module

    if legal_request.status not in SENDS_BACK:
        return
    request_transition(
        legal_request=legal_request, to=Status.IN_REVIEW, actor=actor, sent_back_by=gate
    )
    scope_invalidate(legal_request=legal_request, actor=actor, reason=f"{gate}: {reason}")
    packages_supersede(legal_request=legal_request, actor=actor, reason=reason)
    audit.record(
        action="request.sent_back",
        actor=actor,
        target=legal_request,
        data={"gate": gate, "reason": reason, **details},
    )


def violation_gate(
    *,
    legal_request: LegalRequest,
    actor: User,
    gate: str,
    scope: Scope | None,
    require_decided: bool,
) -> DisclosureError | None:
    """
    Re-evaluate every target's link. A missing link sends the request back (when it is past
    the freeze) and returns the refusal; a link still pending blocks a release without
    sending back (the decision may still come).
    """
    links = target_links(legal_request, lock=True)
    pinned = scope.violation_links if scope is not None else None
    if not links:
        return ViolationLinkMissing(_("The request has no resolved target."))
    lost = [t for t in links if t.state == LinkState.MISSING]
    problems = link_problems(links, require_decided=require_decided, pinned=pinned)
    if not problems:
        return None
    if lost:
        send_back(
            legal_request=legal_request,
            actor=actor,
            gate=gate,
            reason="violation_link_lost",
            details={"targets": _lost_details(lost, pinned)},
        )
    message = " ".join(problems)
    if lost and legal_request.status == Status.IN_REVIEW and gate != "scope_freeze":
        message += " " + _("The request was sent back to review.")
    return ViolationLinkMissing(message)


def _lost_details(lost: list[TargetLink], pinned: dict[str, list[int]] | None) -> list[dict]:
    return [
        {"account": t.platform_id, "cases": (pinned or {}).get(t.platform_id, [])} for t in lost
    ]


def data_gate(
    *, legal_request: LegalRequest, actor: User, gate: str, scope: Scope
) -> tuple[dict[str, list[dict[str, Any]]], DataPins, DisclosureError | None]:
    """
    Read the records in scope again (with provenance) and pin them; any difference from
    the pins stored at freeze sends the request back. Returns the rows read, so a build
    packages exactly what was compared.
    """
    data = extract(scope.canonical_json, provenance=True)
    pins = pins_from_data(ScopeSpec.parse(scope.canonical_json), data)
    if pins.digest == scope.data_digest:
        return data, pins, None
    changes = pins_diff(scope.record_fingerprints or {}, pins.fingerprints)
    send_back(
        legal_request=legal_request,
        actor=actor,
        gate=gate,
        reason="data_changed",
        details={"changes": [c.as_dict() for c in changes]},
    )
    described = "; ".join(c.describe() for c in changes) or _("the records differ")
    return (
        data,
        pins,
        ScopeDataChanged(
            _(
                "The data in scope changed after it was frozen and approved (%(changes)s). The "
                "request was sent back to review: freeze the scope again and have it approved."
            )
            % {"changes": described}
        ),
    )
