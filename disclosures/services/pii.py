"""
Unmasking: the one way a phone number or an IP address is shown in clear outside a release.

Everywhere else the values are masked. A legal officer or approver may see one value, for
an open legal request whose targets include the account, or for a reason from a fixed list
(PiiUnmask.Reason), always with a stated purpose. Unmaskings without a request are limited
per user per hour (`PII_UNMASK_HOURLY_LIMIT`): one step-up must not open the whole
subscriber table. The `PiiUnmask` row and the `pii.viewed` event that say who saw what,
when and why are written in the same transaction as the read, so a value is never shown
without its trail entry. Neither names the value itself, and the purpose may not contain
any phone number or IP address (see disclosures.pii_detection).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils.translation import gettext as _

import audit
from disclosures import permissions
from disclosures.exceptions import InvalidRequest, NotPermitted, UnmaskLimitReached
from disclosures.models import LegalRequest, PiiUnmask, RequestTarget, SubscriberIp, SubscriberPhone
from disclosures.pii_detection import MIN_DIGITS_RUN, normalise, pii_found
from disclosures.selectors.unmask import (
    LIMIT_WINDOW,
    UNMASK_REQUEST_STATUSES,
    unmasks_counted_against_limit,
)

if TYPE_CHECKING:
    from accounts.models import User

PURPOSE_MIN_LENGTH = 10
PURPOSE_MAX_LENGTH = 500

type PiiField = Literal["phone", "ip"]
FIELDS: tuple[str, ...] = ("phone", "ip")


def _records_role_denials[F: Callable[..., Any]](func: F) -> F:
    """
    A refused role leaves one `authz.denied` event (the unmasking itself writes nothing).

    Like workflow.records_denials, but the target is the account whose data was asked
    for: an unmasking need not belong to a legal request.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NotPermitted as exc:
            with transaction.atomic():
                audit.record(
                    action="authz.denied",
                    actor=kwargs.get("actor"),
                    target_type="moderation.platformaccount",
                    target_id=kwargs.get("account_id", ""),
                    data={
                        "operation": func.__name__,
                        "rule": type(exc).__name__,
                        "field": str(kwargs.get("field", ""))[:16],
                    },
                )
            raise

    return wrapper  # type: ignore[return-value]


def purpose_clean(purpose: Any) -> str:
    """
    The stated purpose, trimmed and without invisible characters; InvalidRequest when it is
    missing, unusable, or holds a phone number or an IP address in any spelling.

    The purpose goes into the audit trail, which never holds personal data in clear: any
    number or address is refused, whether or not it is the value being unmasked.
    """
    raw = purpose if isinstance(purpose, str) else ""
    if "\x00" in raw:
        raise InvalidRequest({"purpose": [_("The purpose contains a character not allowed.")]})
    text = "".join(
        " " if char.isspace() else char
        for char in raw
        if unicodedata.category(char) not in {"Cf", "Cc"} or char.isspace()
    ).strip()
    if len(normalise(text).strip()) < PURPOSE_MIN_LENGTH:
        raise InvalidRequest(
            {
                "purpose": [
                    _(
                        "State why you need to see the value (at least %(n)d characters): "
                        "it is recorded in the audit trail."
                    )
                    % {"n": PURPOSE_MIN_LENGTH}
                ]
            }
        )
    if len(text) > PURPOSE_MAX_LENGTH:
        raise InvalidRequest(
            {"purpose": [_("Keep the purpose under %(n)d characters.") % {"n": PURPOSE_MAX_LENGTH}]}
        )
    found = pii_found(text)
    if found is not None:
        what = (
            _("The purpose seems to contain an IP address.")
            if found == "ip"
            else _(
                "The purpose seems to contain a phone number (%(n)d or more digits in a row "
                "count as one)."
            )
            % {"n": MIN_DIGITS_RUN}
        )
        rule = _(
            "Do not put phone numbers or IP addresses in the purpose, in any form: it is "
            "recorded in the audit trail. Refer to the request, the case or the reason instead."
        )
        raise InvalidRequest({"purpose": [f"{what} {rule}"]})
    return text


def _records_limit_refusals[F: Callable[..., Any]](func: F) -> F:
    """
    An unmasking refused by the hourly limit is kept, although it shows nothing.

    The service's transaction has rolled back; the attempt is written in a transaction of
    its own (a refused PiiUnmask row and a `pii.unmask_limit_reached` event), as
    workflow.records_denials does for denials: these rows are the auditor's alarm.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UnmaskLimitReached as exc:
            with transaction.atomic():
                attempt = PiiUnmask.objects.create(
                    user=kwargs["actor"],
                    account_id=kwargs["account_id"],
                    field=exc.field,
                    record_id=exc.record_id,
                    reason=exc.reason,
                    purpose=exc.purpose,
                    refused=True,
                )
                audit.record(
                    action="pii.unmask_limit_reached",
                    actor=kwargs["actor"],
                    target_type="moderation.platformaccount",
                    target_id=kwargs["account_id"],
                    data={
                        "field": exc.field,
                        "account_id": kwargs["account_id"],
                        "record_id": exc.record_id,
                        "reason": exc.reason,
                        "purpose": exc.purpose,
                        "limit": exc.limit,
                        "used": exc.used,
                        "unmask_id": attempt.pk,
                    },
                )
            raise

    return wrapper  # type: ignore[return-value]


def _basis_check(*, account_id: int, request_id: int | None, reason: str) -> None:
    """
    The unmasking names an open request whose targets include the account, or a listed
    reason (never both: only the second kind counts against the hourly limit).
    """
    if request_id is not None and reason:
        raise InvalidRequest(
            {"basis": [_("Name either an open legal request or a reason, not both.")]}
        )
    if request_id is None:
        if reason not in PiiUnmask.Reason.values:
            raise InvalidRequest(
                {
                    "basis": [
                        _(
                            "Name the open legal request the unmasking is for, or choose a "
                            "reason from the list."
                        )
                    ]
                }
            )
        return
    in_scope = RequestTarget.objects.filter(
        request_id=request_id,
        account_id=account_id,
        resolution=RequestTarget.Resolution.UNIQUE,
        request__status__in=UNMASK_REQUEST_STATUSES,
    ).exists()
    if in_scope:
        return
    if not LegalRequest.objects.filter(pk=request_id, status__in=UNMASK_REQUEST_STATUSES).exists():
        raise InvalidRequest(
            {
                "request_id": [
                    _("That legal request is not open: choose an open request, or a reason.")
                ]
            }
        )
    raise InvalidRequest({"request_id": [_("This account is not a target of that request.")]})


def _limit_check(*, actor: User, field: str, record_id: int, reason: str, purpose: str) -> None:
    """
    Refuse an unmasking without a request once the user had their hourly share.

    The user's row is locked first, so parallel unmaskings by one user are counted one
    after the other and cannot together pass the limit.
    """
    lock = get_user_model().objects.select_for_update(
        no_key=connection.features.has_select_for_no_key_update
    )
    list(lock.filter(pk=actor.pk).values_list("pk", flat=True))
    limit = settings.PII_UNMASK_HOURLY_LIMIT
    counted = unmasks_counted_against_limit(user=actor).aggregate(
        used=Count("pk"), oldest=Min("created_at")
    )
    used = counted["used"]
    if used < limit:
        return
    message = _(
        "You have unmasked %(used)d values without a legal request in the last hour, and the "
        "limit is %(limit)d. Name the open request the unmasking is for, or wait."
    ) % {"used": used, "limit": limit}
    if counted["oldest"] is not None:
        again = (counted["oldest"] + LIMIT_WINDOW).astimezone(UTC)
        message += " " + _("You may unmask without a request again after %(time)s UTC.") % {
            "time": f"{again:%H:%M}"
        }
    message += " " + _("This attempt is recorded and shown to the auditor.")
    raise UnmaskLimitReached(
        message,
        limit=limit,
        used=used,
        field=field,
        record_id=record_id,
        reason=reason,
        purpose=purpose,
    )


def _read(*, account_id: int, field: str, record_id: int | None) -> tuple[str, int]:
    """The clear value and its record id; InvalidRequest when there is no such record."""
    if field == "phone":
        phones = SubscriberPhone.objects.filter(account_id=account_id)
        if record_id is not None:
            phones = phones.filter(pk=record_id)
        phone = phones.only("pk", "phone").first()
        if phone is None:
            raise InvalidRequest({"record_id": [_("This account has no such phone number.")]})
        return phone.phone, phone.pk
    if record_id is None:
        raise InvalidRequest({"record_id": [_("Say which IP record to unmask.")]})
    ip = SubscriberIp.objects.filter(account_id=account_id, pk=record_id).only("pk", "ip").first()
    if ip is None:
        raise InvalidRequest({"record_id": [_("This account has no such IP record.")]})
    return ip.ip, ip.pk


@_records_role_denials
@_records_limit_refusals
@transaction.atomic(durable=True)
def pii_unmask(
    *,
    actor: User,
    account_id: int,
    field: PiiField,
    record_id: int | None,
    purpose: str,
    request_id: int | None = None,
    reason: str = "",
) -> str:
    """
    The clear phone number or IP address of one record, recorded as `pii.viewed`.

    Only roles that may unmask (legal officer, legal approver): others get NotPermitted,
    recorded as `authz.denied`. The purpose is required and holds no phone number or IP
    address. The unmasking names an open request whose targets include the account, or a
    listed reason; without a request, past `PII_UNMASK_HOURLY_LIMIT` unmaskings in the last
    hour the user gets UnmaskLimitReached, recorded as `pii.unmask_limit_reached`. Any
    other refusal writes nothing.
    """
    if not permissions.can_unmask(actor):
        raise NotPermitted(_("Only legal officers and approvers may unmask personal data."))
    if field not in FIELDS:
        raise InvalidRequest({"field": [_("Choose the phone number or an IP address.")]})
    text = purpose_clean(purpose)
    reason = reason if isinstance(reason, str) else ""
    _basis_check(account_id=account_id, request_id=request_id, reason=reason)
    value, found_id = _read(account_id=account_id, field=field, record_id=record_id)
    if request_id is None:
        _limit_check(actor=actor, field=field, record_id=found_id, reason=reason, purpose=text)
    PiiUnmask.objects.create(
        user=actor,
        account_id=account_id,
        field=field,
        record_id=found_id,
        request_id=request_id,
        reason=reason,
        purpose=text,
    )
    audit.record(
        action="pii.viewed",
        actor=actor,
        target_type="moderation.platformaccount",
        target_id=account_id,
        data={
            "field": field,
            "account_id": account_id,
            "record_id": found_id,
            "request_id": request_id,
            "reason": reason,
            "purpose": text,
        },
    )
    return value
