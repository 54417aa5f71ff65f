"""
Moderation evidence kept for legal work: the holds a legal request and a preservation order
place on accounts (`moderation.services.holds`), so the retention purge keeps their reports,
thread context and media.

- A request holds, from registration until it ends (rejected, withdrawn or closed), the
  evidence of every account it names (targets resolved to one account) and of the authors
  of the moderation cases it cites: what it relies on must still exist when it is answered.
- A preservation order's hold on an account (`PreservationHold`) holds that account's
  evidence too, until the preservation hold is released or expires.

Each function runs in the caller's transaction, with the request locked: the disclosure
change and its evidence holds commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from disclosures.models import LegalRequest, PreservationHold, RequestTarget
from moderation.services.holds import (
    evidence_hold_place,
    evidence_hold_release,
    evidence_holds_release,
)

if TYPE_CHECKING:
    from accounts.models import User


def _in_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name} must run inside the caller's transaction")


def request_held_accounts(legal_request: LegalRequest) -> list[int]:
    """The accounts a request keeps evidence of: resolved targets and cited cases' authors."""
    targets = RequestTarget.objects.filter(
        request=legal_request,
        resolution=RequestTarget.Resolution.UNIQUE,
        account__isnull=False,
    ).values_list("account_id", flat=True)
    authors = legal_request.linked_cases.values_list("subject__author_id", flat=True)
    return sorted({pk for pk in [*targets, *authors] if pk is not None})


def request_evidence_hold(*, legal_request: LegalRequest, actor: User | None) -> list[int]:
    """Hold the evidence of the accounts the request relies on; returns the hold ids."""
    _in_transaction("request_evidence_hold")
    reason = f"Legal request {legal_request.reference}"
    return [
        evidence_hold_place(account=account, source=legal_request, reason=reason, actor=actor).pk
        for account in request_held_accounts(legal_request)
    ]


def request_evidence_release(*, legal_request: LegalRequest, actor: User | None) -> list[int]:
    """The request ended: release the holds it placed (idempotent); returns their ids."""
    _in_transaction("request_evidence_release")
    return evidence_holds_release(source=legal_request, actor=actor)


def preservation_evidence_hold(
    *, holds: Iterable[PreservationHold], legal_request: LegalRequest, actor: User | None
) -> list[int]:
    """Hold the evidence of each account a preservation order put on hold."""
    _in_transaction("preservation_evidence_hold")
    reason = f"Preservation order {legal_request.reference}"
    return [
        evidence_hold_place(account=hold.account_id, source=hold, reason=reason, actor=actor).pk
        for hold in sorted(holds, key=lambda h: h.account_id)
    ]


def preservation_evidence_release(
    *, holds: Iterable[PreservationHold], actor: User | None
) -> list[int]:
    """The preservation holds ended (released, withdrawn, expired): release their holds."""
    _in_transaction("preservation_evidence_release")
    released = []
    for hold in sorted(holds, key=lambda h: h.account_id):
        evidence = evidence_hold_release(account=hold.account_id, source=hold, actor=actor)
        if evidence is not None:
            released.append(evidence.pk)
    return released
