"""
Review and approval of a legal request: the verification checklist, the moves between the
review states, the frozen scope and the four-eyes vote on it.

Every function here that writes is one durable transaction that re-reads the request under a
row lock (`request_lock`), moves it only through `request_transition`, and records its audit
event in the same transaction. Refusals that are authorization decisions (role, separation
of duties, re-authentication) leave one `authz.denied` event through `records_denials`.
"""

from disclosures.selectors.review import approvers_of, live_scope, mandatory_checks_passed
from disclosures.services.review.checks import (
    CheckEntry,
    check_record,
    checks_record,
    denial_record,
)
from disclosures.services.review.common import CHECKABLE, CLOSABLE, ChecklistClosed
from disclosures.services.review.moves import (
    request_ask_clarification,
    request_close,
    request_refuse,
    request_resume_review,
    request_start_review,
    request_withdraw,
)
from disclosures.services.review.no_records import no_records_letter, request_close_no_records
from disclosures.services.review.scope import (
    canonical_json,
    request_reopen,
    scope_canonical,
    scope_invalidate,
    scope_payload,
    scope_submit,
)
from disclosures.services.review.votes import request_approve, request_reject

__all__ = [
    "CHECKABLE",
    "CLOSABLE",
    "CheckEntry",
    "ChecklistClosed",
    "approvers_of",
    "canonical_json",
    "check_record",
    "checks_record",
    "denial_record",
    "live_scope",
    "mandatory_checks_passed",
    "no_records_letter",
    "request_approve",
    "request_ask_clarification",
    "request_close",
    "request_close_no_records",
    "request_refuse",
    "request_reject",
    "request_reopen",
    "request_resume_review",
    "request_start_review",
    "request_withdraw",
    "scope_canonical",
    "scope_invalidate",
    "scope_payload",
    "scope_submit",
]
