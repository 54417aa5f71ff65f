"""
"No records found": the distinct, confirmed end of a request whose scope holds nothing.

An empty package is never built, passed or released. When the system computes that the
platform holds no record of the requested categories for the targets and dates (B8), and
every other mandatory check passed (a forged or unlawful request is refused, not answered),
a legal officer closes the request with this outcome. The letter to the authority is
rendered from the recorded facts, so the same bytes can be produced again; its SHA-256 is in
the `request.no_records` audit event.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures import checklist, permissions
from disclosures.exceptions import ChecksIncomplete, InvalidRequest
from disclosures.models import LegalRequest
from disclosures.selectors.review import mandatory_checks_passed, request_facts
from disclosures.services.evidence_holds import request_evidence_release
from disclosures.services.review.common import Status, expect_status, require_role
from disclosures.services.review.scope import system_checks_record
from disclosures.services.workflow import records_denials, request_lock, request_transition

if TYPE_CHECKING:
    from accounts.models import User


def no_records_letter(legal_request: LegalRequest) -> bytes:
    """The letter telling the authority that no records were found (deterministic)."""
    return render_to_string(
        "disclosures/release/no_records_letter.html",
        {
            "request": legal_request,
            "authority": legal_request.authority,
            "categories": [
                _CATEGORY_NAMES.get(c, c) for c in sorted(legal_request.data_requested or [])
            ],
            "targets": legal_request.targets.count(),
        },
    ).encode()


_CATEGORY_NAMES = {"ip_addresses": "IP addresses", "phone_number": "Phone number"}


@records_denials
@transaction.atomic(durable=True)
def request_close_no_records(
    *, request_id: int, actor: User, expected_version: int | None = None
) -> LegalRequest:
    """
    Close a request in review as "no records found", once the system computed that its
    scope holds no record and every other mandatory check passed.
    """
    require_role(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    expect_status(request, Status.IN_REVIEW, to=Status.CLOSED)
    if request.is_preservation:
        raise InvalidRequest(
            {"__all__": [_("A preservation order is answered with a hold, not a letter.")]}
        )
    facts = request_facts(request)
    if facts.data_exists:
        raise InvalidRequest(
            {
                "__all__": [
                    _(
                        "The platform holds %(n)d record(s) in this scope: the request cannot "
                        'be closed as "no records found".'
                    )
                    % {"n": facts.records_total}
                ]
            }
        )
    missing = mandatory_checks_passed(request, facts=facts)[1]
    missing = [code for code in missing if code != checklist.DATA_CODE]
    if missing:
        raise ChecksIncomplete(
            _("These mandatory checks have not passed: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    system_checks_record(legal_request=request, actor=actor, facts=facts, gate="no_records")
    now = timezone.now()
    request.outcome = LegalRequest.Outcome.NO_RECORDS
    request.outcome_reason = "No records of the requested categories for the targets and dates."
    request.effect_given_at = now
    request.closed_at = now
    letter = no_records_letter(request)
    digest = hashlib.sha256(letter).hexdigest()
    request_transition(
        legal_request=request,
        to=Status.CLOSED,
        actor=actor,
        fields=("outcome", "outcome_reason", "effect_given_at", "closed_at"),
        outcome=LegalRequest.Outcome.NO_RECORDS,
    )
    audit.record(
        action="request.no_records",
        actor=actor,
        target=request,
        data={
            "letter_sha256": digest,
            "targets": len(facts.links),
            "records": facts.category_totals(),
        },
    )
    request_evidence_release(legal_request=request, actor=actor)
    return request
