"""
Unmasking: the one way a phone number or an IP address is shown in clear outside a release.

Everywhere else the values are masked. A legal officer or approver may see one value, for
a purpose they state; the `pii.viewed` event that says who saw what, when and why is
written in the same transaction as the read, so a value is never shown without its trail
entry. The trail names the record (account, record id) and never holds the value itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Literal

from django.db import transaction
from django.utils.translation import gettext as _

import audit
from disclosures import permissions
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.models import RequestTarget, SubscriberIp, SubscriberPhone

PURPOSE_MIN_LENGTH = 10
PURPOSE_MAX_LENGTH = 500

type PiiField = Literal["phone", "ip"]
FIELDS: tuple[str, ...] = ("phone", "ip")

_NOT_DIGITS = re.compile(r"[^0-9]")


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
    """The stated purpose, trimmed; InvalidRequest when it is missing or unusable."""
    text = purpose.strip() if isinstance(purpose, str) else ""
    if len(text) < PURPOSE_MIN_LENGTH:
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
    if "\x00" in text:
        raise InvalidRequest({"purpose": [_("The purpose contains a character not allowed.")]})
    return text


def _mentions(purpose: str, value: str) -> bool:
    """Whether the purpose repeats the value (which would put it in the trail in clear)."""
    if value.lower() in purpose.lower():
        return True
    digits = _NOT_DIGITS.sub("", value)
    return (
        value.startswith("+") and len(digits) >= 6 and digits[-6:] in _NOT_DIGITS.sub("", purpose)
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
@transaction.atomic(durable=True)
def pii_unmask(
    *,
    actor: Any,
    account_id: int,
    field: PiiField,
    record_id: int | None,
    purpose: str,
    request_id: int | None,
) -> str:
    """
    The clear phone number or IP address of one record, recorded as `pii.viewed`.

    Only roles that may unmask (legal officer, legal approver): others get NotPermitted,
    recorded as `authz.denied`. The purpose is required; when a legal request is named,
    the account must be one of its targets. Any refusal writes nothing else.
    """
    if not permissions.can_unmask(actor):
        raise NotPermitted(_("Only legal officers and approvers may unmask personal data."))
    if field not in FIELDS:
        raise InvalidRequest({"field": [_("Choose the phone number or an IP address.")]})
    text = purpose_clean(purpose)
    if (
        request_id is not None
        and not RequestTarget.objects.filter(request_id=request_id, account_id=account_id).exists()
    ):
        raise InvalidRequest({"request_id": [_("This account is not a target of that request.")]})
    value, found_id = _read(account_id=account_id, field=field, record_id=record_id)
    if _mentions(text, value):
        raise InvalidRequest(
            {"purpose": [_("Do not write the value itself in the purpose: it would be recorded.")]}
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
            "purpose": text,
        },
    )
    return value
