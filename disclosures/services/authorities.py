"""
The registry of authorities: who may send requests, and how to reach them out of band.

Contact channels come from an official directory, never from a request: a forged request
carries the forger's own numbers, so the callback that proves a request authentic must go
to a channel recorded here beforehand. Every change is an audit event written in the same
transaction as the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures import permissions
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.models import Authority, AuthorityContact
from disclosures.services.workflow import authority_transition, records_denials

if TYPE_CHECKING:
    from accounts.models import User

_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](-?[a-z0-9])*\.)+[a-z]{2,63}$")
_URL = re.compile(r"^https://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class AuthorityInput:
    name: str
    country: str
    type: str
    notes: str = ""


@dataclass(frozen=True)
class ContactInput:
    kind: str
    value: str
    directory_source: str


def _require_manager(actor: User) -> None:
    if not permissions.can_manage_authorities(actor):
        raise NotPermitted


def _clean_authority(data: AuthorityInput) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    name = " ".join((data.name or "").split())
    country = (data.country or "").strip().upper()
    if not name:
        errors["name"] = [_("Give the authority's official name.")]
    elif len(name) > 200:
        errors["name"] = [_("At most 200 characters.")]
    if country not in phonenumbers.SUPPORTED_REGIONS:
        errors["country"] = [_("Use the ISO 3166-1 alpha-2 code of the country, e.g. FR.")]
    if data.type not in Authority.Type.values:
        errors["type"] = [_("Choose the type of authority.")]
    fields = {"name": name, "country": country, "type": data.type, "notes": data.notes.strip()}
    return fields, errors


def _duplicate_name_error() -> InvalidRequest:
    return InvalidRequest({"name": [_("This country already has an authority with that name.")]})


@records_denials
def authority_create(*, actor: User, data: AuthorityInput) -> Authority:
    """Add an authority to the registry; it starts verified (it was checked to be added)."""
    _require_manager(actor)
    fields, errors = _clean_authority(data)
    if errors:
        raise InvalidRequest(errors)
    with transaction.atomic(durable=True):
        if Authority.objects.filter(country=fields["country"], name=fields["name"]).exists():
            raise _duplicate_name_error()
        try:
            with transaction.atomic():
                authority = Authority.objects.create(**fields, status=Authority.Status.VERIFIED)
        except IntegrityError as exc:  # the same name added concurrently
            raise _duplicate_name_error() from exc
        audit.record(
            action="authority.created",
            actor=actor,
            target=authority,
            data={"name": authority.name, "country": authority.country, "type": authority.type},
        )
    return authority


@records_denials
def authority_update(*, authority_id: int, actor: User, data: AuthorityInput) -> Authority:
    """Correct an authority's name, country, type or notes (its status has its own service)."""
    _require_manager(actor)
    fields, errors = _clean_authority(data)
    if errors:
        raise InvalidRequest(errors)
    with transaction.atomic(durable=True):
        authority = Authority.objects.select_for_update().get(pk=authority_id)
        changed = sorted(k for k, v in fields.items() if getattr(authority, k) != v)
        if not changed:
            return authority
        if (
            Authority.objects.filter(country=fields["country"], name=fields["name"])
            .exclude(pk=authority.pk)
            .exists()
        ):
            raise _duplicate_name_error()
        for key in changed:
            setattr(authority, key, fields[key])
        try:
            with transaction.atomic():
                authority.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            raise _duplicate_name_error() from exc
        audit.record(
            action="authority.changed",
            actor=actor,
            target=authority,
            data={"fields": changed},
        )
    return authority


@records_denials
def authority_set_status(
    *, authority_id: int, actor: User, status: str, reason: str = ""
) -> Authority:
    """
    Suspend an authority (its new requests are refused at intake) or verify it again.

    A suspension needs a reason, since it is what legal staff read when a request from
    that authority is refused. Setting the status it already has changes nothing.
    """
    _require_manager(actor)
    if status not in Authority.Status.values:
        raise InvalidRequest({"status": [_("Unknown status.")]})
    reason = reason.strip()
    if status == Authority.Status.SUSPENDED and not reason:
        raise InvalidRequest({"reason": [_("Say why the authority is suspended.")]})
    with transaction.atomic(durable=True):
        authority = Authority.objects.select_for_update().get(pk=authority_id)
        if authority.status == status:
            return authority
        previous = authority.status
        authority_transition(authority=authority, to=status, fields=("updated_at",))
        audit.record(
            action=f"authority.{status}",
            actor=actor,
            target=authority,
            data={"from": previous, "to": status, "reason": reason},
        )
    return authority


def _clean_contact_value(kind: str, value: str, country: str) -> tuple[str, str | None]:
    """The value in its canonical form, or an error message."""
    value = value.strip()
    if not value:
        return value, _("Give the contact's value.")
    if len(value) > 300:
        return value, _("At most 300 characters.")
    if kind == AuthorityContact.Kind.PHONE:
        try:
            number = phonenumbers.parse(value, country or None)
        except phonenumbers.NumberParseException:
            return value, _("Not a phone number.")
        if not phonenumbers.is_valid_number(number):
            return value, _("Not a valid phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
    if kind == AuthorityContact.Kind.EMAIL_DOMAIN:
        domain = value.lower().removeprefix("@")
        if not _DOMAIN.match(domain):
            return value, _("Give a domain name such as justice.fr (no address, no @).")
        return domain, None
    if kind == AuthorityContact.Kind.PORTAL and not _URL.match(value):
        return value, _("Give the portal's https:// address.")
    return value, None


@records_denials
def authority_contact_add(
    *, authority_id: int, actor: User, data: ContactInput
) -> AuthorityContact:
    """
    Record a channel taken from an official directory, as verified by the actor now.

    The directory it comes from is mandatory: the callback check of a request relies on
    the channel being independent of the request.
    """
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    if data.kind not in AuthorityContact.Kind.values:
        errors["kind"] = [_("Choose the kind of channel.")]
    source = " ".join((data.directory_source or "").split())
    if not source:
        errors["directory_source"] = [
            _("Name the official directory the channel was taken from (never a request).")
        ]
    elif len(source) > 300:
        errors["directory_source"] = [_("At most 300 characters.")]
    with transaction.atomic(durable=True):
        authority = Authority.objects.select_for_update().get(pk=authority_id)
        value, problem = _clean_contact_value(data.kind, data.value or "", authority.country)
        if problem:
            errors["value"] = [problem]
        if errors:
            raise InvalidRequest(errors)
        contact = AuthorityContact.objects.create(
            authority=authority,
            kind=data.kind,
            value=value,
            directory_source=source,
            verified_at=timezone.now(),
            verified_by=actor,
        )
        audit.record(
            action="authority.contact_added",
            actor=actor,
            target=authority,
            data={"contact": contact.pk, "kind": contact.kind, "directory_source": source},
        )
    return contact
