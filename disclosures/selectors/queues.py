"""
"What waits for me next": the request at a step the user can act on, soonest deadline first.

Four eyes: at the approval step a request is never offered to the person who prepared its
scope, registered it or already voted on it, because they could not vote on it anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from disclosures import permissions
from disclosures.models import Approval, LegalRequest, Scope

if TYPE_CHECKING:
    from accounts.models import User

Status = LegalRequest.Status

# Where a legal officer has something to do (clarification waits for the authority).
PREPARER_STEPS = (Status.RECEIVED, Status.IN_REVIEW)


def next_request_for(*, user: User, after_id: int | None = None) -> LegalRequest | None:
    """
    The open request this user can act on now, soonest deadline first, skipping `after_id`
    (the page the user is leaving). One query, whatever the queue's length.
    """
    steps = Q(pk__in=[])
    if permissions.can_approve(user):
        live = Scope.objects.filter(request=OuterRef("pk"), voided_at__isnull=True)
        votes = Approval.objects.filter(
            request=OuterRef("pk"), voided_at__isnull=True, approver=user
        )
        steps |= Q(
            Exists(live),
            ~Exists(live.filter(prepared_by=user)),
            ~Exists(votes),
            ~Q(created_by=user),
            status=Status.PENDING_APPROVAL,
        )
    if permissions.can_prepare(user):
        steps |= Q(status__in=PREPARER_STEPS)
    if permissions.can_release(user):
        # Releasing is for someone who did not approve: an approver is not offered it.
        approved_by_user = Approval.objects.filter(
            request=OuterRef("pk"), voided_at__isnull=True, approver=user
        )
        steps |= Q(~Exists(approved_by_user), status=Status.APPROVED)
    requests = LegalRequest.objects.filter(steps)
    if after_id is not None:
        requests = requests.exclude(pk=after_id)
    return requests.order_by("deadline_at", "id").first()
