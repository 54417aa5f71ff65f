"""
The notice owed to each user whose data was released.

It goes out through the outbox right after the release, unless something forbids
or postpones it: a non-disclosure order (until it expires, or indefinitely without an
expiry), the confidentiality of a European order (the issuing authority informs the person,
Reg. 2023/1543 Art. 13), or an emergency (until the request is closed). A beat task sends
the deferred notices once nothing holds them back any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures.models import LegalRequest, ReleasePackage, UserNotice
from disclosures.outbox_kinds import USER_NOTICE
from disclosures.package import ScopeSpec, utc_iso
from disclosures.services.workflow import notice_transition, request_lock
from moderation.models import PlatformAccount
from outbox.services import delivery_enqueue

if TYPE_CHECKING:
    from accounts.models import User

EPOC_INSTRUMENTS = frozenset({LegalRequest.Instrument.EPOC, LegalRequest.Instrument.EPOC_PR})
NO_NDO = frozenset(
    {LegalRequest.NonDisclosure.NONE, LegalRequest.NonDisclosure.EPOC_CONFIDENTIALITY}
)


@dataclass(frozen=True)
class Deferral:
    codes: tuple[str, ...]  # "nondisclosure", "epoc", "emergency"
    reason: str
    due_at: datetime | None  # None: no known end (indefinite, or until the request closes)


def notice_deferral(legal_request: LegalRequest, *, now: datetime) -> Deferral | None:
    """What holds the notice back at `now`, or None when it may go out."""
    codes: list[str] = []
    reasons: list[str] = []
    due_at = None
    if legal_request.nondisclosure not in NO_NDO:
        expires = legal_request.nondisclosure_expires_at
        if expires is None:
            codes.append("nondisclosure")
            reasons.append(
                _("non-disclosure order (%(kind)s) without expiry")
                % {"kind": legal_request.get_nondisclosure_display()}
            )
        elif expires > now:
            codes.append("nondisclosure")
            due_at = expires
            reasons.append(
                _("non-disclosure order (%(kind)s) until %(date)s UTC")
                % {
                    "kind": legal_request.get_nondisclosure_display(),
                    "date": f"{expires:%Y-%m-%d %H:%M}",
                }
            )
    if (
        legal_request.instrument in EPOC_INSTRUMENTS
        or legal_request.nondisclosure == LegalRequest.NonDisclosure.EPOC_CONFIDENTIALITY
    ):
        codes.append("epoc")
        due_at = None
        reasons.append(_("issuing authority informs the person (Reg. 2023/1543 Art. 13)"))
    if legal_request.emergency and legal_request.status != LegalRequest.Status.CLOSED:
        codes.append("emergency")
        reasons.append(_("emergency: the notice waits until the request is closed"))
    if not codes:
        return None
    if "emergency" in codes and "nondisclosure" not in codes:
        due_at = None
    return Deferral(codes=tuple(codes), reason="; ".join(reasons)[:200], due_at=due_at)


def _released_scope(legal_request: LegalRequest) -> ScopeSpec:
    package = (
        ReleasePackage.objects.filter(request=legal_request, released_at__isnull=False)
        .select_related("scope")
        .order_by("-released_at")
        .first()
    )
    if package is None:
        raise ReleasePackage.DoesNotExist(f"request {legal_request.pk} was never released")
    return ScopeSpec.parse(package.scope.canonical_json)


def notice_key(legal_request: LegalRequest, account: PlatformAccount) -> str:
    return f"notice-{legal_request.uuid}-{account.platform_id}"


def _send(
    *,
    notice: UserNotice,
    legal_request: LegalRequest,
    scope: ScopeSpec,
    actor: User | None,
    now: datetime,
) -> None:
    """Hand the notice to the outbox: what was disclosed and when, never the values."""
    delivery_enqueue(
        kind=USER_NOTICE,
        key=notice_key(legal_request, notice.account),
        topic=legal_request,
        cause=notice,
        payload={
            "recipient": notice.account.platform_id,
            "request": legal_request.reference,
            "authority_country": legal_request.authority.country,
            "categories": list(scope.categories),
            "date_from": utc_iso(scope.date_from),
            "date_to": utc_iso(scope.date_to),
            "released_at": utc_iso(legal_request.effect_given_at or now),
        },
    )
    notice.sent_at = now
    notice.due_at = None
    notice.deferred_reason = ""
    notice_transition(
        notice=notice, to=UserNotice.Status.SENT, fields=("sent_at", "due_at", "deferred_reason")
    )
    audit.record(
        action="notice.sent",
        actor=actor,
        target=legal_request,
        data={"notice": notice.pk, "account": notice.account.platform_id},
    )


def _defer(
    *, notice: UserNotice, legal_request: LegalRequest, deferral: Deferral, actor: User | None
) -> None:
    notice.deferred_reason = deferral.reason
    notice.due_at = deferral.due_at
    notice_transition(
        notice=notice, to=UserNotice.Status.DEFERRED, fields=("deferred_reason", "due_at")
    )
    audit.record(
        action="notice.deferred",
        actor=actor,
        target=legal_request,
        data={
            "notice": notice.pk,
            "account": notice.account.platform_id,
            "reasons": list(deferral.codes),
            "due_at": utc_iso(deferral.due_at) if deferral.due_at else None,
        },
    )


def notices_after_release(
    *, legal_request: LegalRequest, account_ids: list[str], actor: User | None, now: datetime
) -> list[UserNotice]:
    """
    One notice per released account, sent now or deferred with its reason.

    Runs inside the release's transaction, so a release always has its notices and the
    outbox rows are committed with it.
    """
    scope = _released_scope(legal_request)
    deferral = notice_deferral(legal_request, now=now)
    accounts = PlatformAccount.objects.filter(platform_id__in=account_ids).order_by("platform_id")
    made = []
    for account in accounts:
        notice = UserNotice.objects.create(
            request=legal_request,
            account=account,
            status=UserNotice.Status.QUEUED,
        )
        if deferral is None:
            _send(notice=notice, legal_request=legal_request, scope=scope, actor=actor, now=now)
        else:
            _defer(notice=notice, legal_request=legal_request, deferral=deferral, actor=actor)
        made.append(notice)
    return made


def _candidates(now: datetime) -> list[int]:
    """
    Requests with deferred notices that may have become sendable, or whose deferral
    changed: re-assessed without a lock first, so an unchanged deferral costs no lock.
    """
    deferred = list(
        UserNotice.objects.filter(status=UserNotice.Status.DEFERRED)
        .filter(
            Q(due_at__lte=now)
            | Q(request__emergency=True, request__status=LegalRequest.Status.CLOSED)
            | Q(request__nondisclosure_expires_at__lte=now)
            # Nothing holds these back any more: an order lifted at its review whose
            # notices were not re-assessed right after (disclosures.services.nondisclosure).
            | (
                Q(request__nondisclosure=LegalRequest.NonDisclosure.NONE, request__emergency=False)
                & ~Q(request__instrument__in=EPOC_INSTRUMENTS)
            )
        )
        .values_list("request_id", "deferred_reason", "due_at")
        .order_by("request_id")
    )
    requests = LegalRequest.objects.in_bulk({row[0] for row in deferred})
    stored: dict[int, set[tuple[str, datetime | None]]] = {}
    for request_id, reason, due_at in deferred:
        stored.setdefault(request_id, set()).add((reason, due_at))
    due = []
    for request_id, states in stored.items():
        deferral = notice_deferral(requests[request_id], now=now)
        if deferral is None or states != {(deferral.reason, deferral.due_at)}:
            due.append(request_id)
    return due


def notices_send_due(*, now: datetime | None = None) -> int:
    """Send the deferred notices nothing holds back any more; idempotent (beat task)."""
    now = now or timezone.now()
    return sum(notices_release_deferred(request_id=pk, now=now) for pk in _candidates(now))


@transaction.atomic(durable=True)
def notices_release_deferred(*, request_id: int, now: datetime) -> int:
    """Re-assess one request's deferred notices under its row lock; send those now free."""
    legal_request = request_lock(request_id=request_id)
    notices = list(
        UserNotice.objects.select_for_update()
        .filter(request=legal_request, status=UserNotice.Status.DEFERRED)
        .select_related("account")
        .order_by("pk")
    )
    if not notices:
        return 0
    deferral = notice_deferral(legal_request, now=now)
    if deferral is not None:
        for notice in notices:
            if (notice.deferred_reason, notice.due_at) != (deferral.reason, deferral.due_at):
                _defer(notice=notice, legal_request=legal_request, deferral=deferral, actor=None)
        return 0
    scope = _released_scope(legal_request)
    for notice in notices:
        _send(notice=notice, legal_request=legal_request, scope=scope, actor=None, now=now)
    return len(notices)
