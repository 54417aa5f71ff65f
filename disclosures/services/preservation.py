"""
Preservation orders (EPOC-PR, US 18 U.S.C. §2703(f)): holds, not productions.

Placing the hold keeps each target account's records of the request's categories and period,
exempt from every purge, until the hold expires (`PRESERVATION_DAYS` after it was placed), is
extended on the authority's request (`PRESERVATION_EXTENSION_DAYS`, once), or is released.
Nothing is ever packaged for such a request.

Every write here is one durable transaction that re-reads the request under a row lock
(`request_lock`), moves it only through `request_transition`, and records its audit event in
the same transaction, like the review services. The beat task that ends expired holds and
sends the expiry reminders lives in `preservation_sweep`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import audit
from disclosures import permissions
from disclosures.exceptions import (
    ChecksIncomplete,
    DisclosureError,
    InvalidRequest,
    InvalidTransition,
    NotPermitted,
)
from disclosures.models import DataCategory, LegalRequest, PreservationHold, RequestTarget
from disclosures.selectors.review import mandatory_checks_passed
from disclosures.services.evidence_holds import (
    preservation_evidence_hold,
    preservation_evidence_release,
    request_evidence_release,
)
from disclosures.services.workflow import (
    records_denials,
    request_lock,
    request_touch,
    request_transition,
)

if TYPE_CHECKING:
    from accounts.models import User

Status = LegalRequest.Status

# EPOC-PR: "extended by 30 days" (Reg. 2023/1543 Art. 11(1), Annex II); §2703(f): "extended for
# an additional 90-day period upon a renewed request". Both allow one extension.
MAX_EXTENSIONS = 1
REASON_MAX = PreservationHold._meta.get_field("release_reason").max_length or 200

# Why a hold ended, in `PreservationHold.release_reason` and the `preservation.released` event.
RELEASED, WITHDRAWN, EXPIRED = "released", "withdrawn", "expired"


class NotAPreservationOrder(DisclosureError):
    message = gettext_lazy(
        "Only a preservation order (EPOC-PR, US §2703(f)) places a hold on records."
    )


class HoldNotExtendable(DisclosureError):
    """The holds are not active, have expired, or already had the one extension allowed."""


def preservation_period(instrument: str) -> timedelta:
    return timedelta(days=settings.PRESERVATION_DAYS[instrument])


def extension_period(instrument: str) -> timedelta:
    return timedelta(days=settings.PRESERVATION_EXTENSION_DAYS[instrument])


def days_left(expires_at: datetime, *, now: datetime) -> int:
    """Whole days until expiry, rounded up: a hold placed for 60 days has 60 days left."""
    return max(0, math.ceil((expires_at - now).total_seconds() / 86400))


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted(_("Your role does not allow this."))


def _preservation(legal_request: LegalRequest) -> None:
    if not legal_request.is_preservation:
        raise NotAPreservationOrder


def _reason(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidRequest({"reason": [_("This field is required.")]})
    if len(value) > REASON_MAX:
        raise InvalidRequest({"reason": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    return value


def _held_accounts(legal_request: LegalRequest) -> list[int]:
    """The target accounts, once each; refused unless every target resolved to one account."""
    targets = list(legal_request.targets.values_list("resolution", "account_id"))
    if not targets:
        raise ChecksIncomplete(_("The request names no target."))
    unresolved = sum(
        1
        for resolution, account in targets
        if resolution != RequestTarget.Resolution.UNIQUE or account is None
    )
    if unresolved:
        raise ChecksIncomplete(
            _("%(n)d target(s) do not resolve to exactly one account.") % {"n": unresolved}
        )
    return sorted({account for _resolution, account in targets})


def _categories(legal_request: LegalRequest) -> list[str]:
    categories = sorted(set(legal_request.data_requested or []))
    if not categories or not set(categories) <= set(DataCategory.values):
        raise ChecksIncomplete(_("Only IP addresses and phone numbers can be held."))
    return categories


def _active_holds(legal_request: LegalRequest) -> list[PreservationHold]:
    return list(
        PreservationHold.objects.select_for_update()
        .filter(request=legal_request, released_at__isnull=True)
        .order_by("pk")
    )


@records_denials
@transaction.atomic(durable=True)
def hold_place(
    *, request_id: int, actor: User, expected_version: int | None = None
) -> list[PreservationHold]:
    """
    Put the records of every target account on hold for the preservation order, and move the
    request to PRESERVING (outcome: preserved; effect is given when the hold is placed).

    Authenticity and legality still matter: every mandatory check must have passed, as for a
    scope. The hold covers the request's data categories and period, and ends
    `PRESERVATION_DAYS[instrument]` days from now unless extended or released.
    """
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _preservation(request)
    if request.status != Status.IN_REVIEW:
        raise InvalidTransition(current=request.status, requested=Status.PRESERVING)
    passed, missing = mandatory_checks_passed(request)
    if not passed:
        raise ChecksIncomplete(
            _("These mandatory checks have not passed: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    accounts = _held_accounts(request)
    categories = _categories(request)
    now = timezone.now()
    expires_at = now + preservation_period(request.instrument)
    holds = [
        PreservationHold.objects.create(
            request=request,
            account_id=account_id,
            categories=categories,
            date_from=request.date_from,
            date_to=request.date_to,
            placed_by=actor,
            expires_at=expires_at,
        )
        for account_id in accounts
    ]
    # The accounts' moderation evidence is kept as long as their records are.
    preservation_evidence_hold(holds=holds, legal_request=request, actor=actor)
    request.outcome = LegalRequest.Outcome.PRESERVED
    request.effect_given_at = now
    request_transition(
        legal_request=request,
        to=Status.PRESERVING,
        actor=actor,
        fields=("outcome", "effect_given_at"),
    )
    audit.record(
        action="preservation.placed",
        actor=actor,
        target=request,
        data={
            "holds": [hold.pk for hold in holds],
            "accounts": len(holds),
            "categories": categories,
            "date_from": request.date_from.isoformat(),
            "date_to": request.date_to.isoformat(),
            "expires_at": expires_at.isoformat(),
            "instrument": request.instrument,
        },
    )
    return holds


@records_denials
@transaction.atomic(durable=True)
def hold_extend(
    *, request_id: int, actor: User, reason: str, expected_version: int | None = None
) -> list[PreservationHold]:
    """
    Extend every active hold of the request by `PRESERVATION_EXTENSION_DAYS[instrument]`,
    counted from its current expiry, on the authority's request (`reason` says which).

    The order allows one extension, given before the hold ends; the expiry reminder is due
    again before the new expiry.
    """
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _preservation(request)
    if request.status != Status.PRESERVING:
        raise HoldNotExtendable(_("Only a request whose records are on hold can be extended."))
    reason = _reason(reason)
    holds = _active_holds(request)
    if not holds:
        raise HoldNotExtendable(_("No hold of this request is active."))
    now = timezone.now()
    if any(hold.expires_at <= now for hold in holds):
        raise HoldNotExtendable(_("The hold has expired: it can no longer be extended."))
    if any(hold.extensions >= MAX_EXTENSIONS for hold in holds):
        raise HoldNotExtendable(
            _("The order allows one extension of the hold, and it was already given.")
        )
    added = extension_period(request.instrument)
    for hold in holds:
        hold.expires_at += added
        hold.extensions += 1
        hold.reminded_at = None
        hold.save(update_fields=["expires_at", "extensions", "reminded_at"])
    request_touch(legal_request=request)
    audit.record(
        action="preservation.extended",
        actor=actor,
        target=request,
        data={
            "holds": [hold.pk for hold in holds],
            "days": added.days,
            "expires_at": max(hold.expires_at for hold in holds).isoformat(),
            "extensions": max(hold.extensions for hold in holds),
            "reason_hash": audit.pii_digest(reason),
        },
    )
    return holds


def request_holds_release(
    *,
    legal_request: LegalRequest,
    actor: User,
    why: str,
    reason: str = "",
    now: datetime | None = None,
) -> list[int]:
    """
    End the request's active holds, in the caller's transaction with the request locked:
    the officer's release, the authority's withdrawal, or expiry (`why`). Returns their ids.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("request_holds_release must run inside the caller's transaction")
    now = now or timezone.now()
    holds = _active_holds(legal_request)
    if not holds:
        return []
    ids = [hold.pk for hold in holds]
    PreservationHold.objects.filter(pk__in=ids).update(
        released_at=now,
        released_by=actor,
        release_reason=(reason or why)[:REASON_MAX],
    )
    preservation_evidence_release(holds=holds, actor=actor)
    audit.record(
        action="preservation.released",
        actor=actor,
        target=legal_request,
        data={
            "holds": ids,
            "why": why,
            "reason_hash": audit.pii_digest(reason) if reason else "",
        },
    )
    return ids


@records_denials
@transaction.atomic(durable=True)
def hold_release(
    *, request_id: int, actor: User, reason: str, expected_version: int | None = None
) -> list[int]:
    """
    End the hold before it expires (the authority no longer needs it, or a production order
    took over) and close the request; the records return to the normal retention.
    """
    _require(permissions.can_prepare(actor))
    request = request_lock(request_id=request_id, expected_version=expected_version)
    _preservation(request)
    if request.status != Status.PRESERVING:
        raise InvalidTransition(current=request.status, requested=Status.CLOSED)
    reason = _reason(reason)
    now = timezone.now()
    released = request_holds_release(
        legal_request=request, actor=actor, why=RELEASED, reason=reason, now=now
    )
    request.closed_at = now
    request_transition(
        legal_request=request, to=Status.CLOSED, actor=actor, fields=("closed_at",), holds=released
    )
    request_evidence_release(legal_request=request, actor=actor)
    return released
