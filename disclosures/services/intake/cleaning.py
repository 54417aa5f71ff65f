"""
Checking a legal request before it is registered: its fields, dates, linked cases, the
terms-violation link of each target, and the disclosure policy in force when it arrived. Each
function adds what is wrong to the `CleanedIntake`; nothing here writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from disclosures.masking import mask_phone
from disclosures.models import (
    Authority,
    DataCategory,
    DisclosurePolicy,
    LegalRequest,
    RequestTarget,
)
from disclosures.selectors.violations import LinkState, account_links
from disclosures.services.intake.common import (
    FILE_NUMBER,
    MAX_DATE_RANGE,
    MAX_TEXT,
    NEEDS_VALIDATION,
    CleanedIntake,
    RequestInput,
    iana_time_zones,
    stripped_text,
)
from disclosures.services.nondisclosure import nondisclosure_end_error
from moderation.models import Case, Category


def _local_to_utc(value: datetime, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time in `zone` as UTC; None if that time does not exist there (DST gap)."""
    if timezone.is_aware(value):
        return value.astimezone(UTC)
    local = value.replace(tzinfo=zone)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != value:
        return None
    return utc


def clean_fields(data: RequestInput, out: CleanedIntake, now: datetime) -> Authority | None:
    f = out.fields
    if data.instrument not in LegalRequest.Instrument.values:
        out.error("instrument", _("Choose the instrument."))
    f["instrument"] = data.instrument

    authority = None
    if data.authority_id is None:
        out.error("authority", _("Choose the issuing authority."))
    else:
        authority = Authority.objects.select_for_update().filter(pk=data.authority_id).first()
        if authority is None:
            out.error("authority", _("No such authority in the registry."))
        elif authority.status != Authority.Status.VERIFIED:
            out.error(
                "authority",
                _("This authority is suspended: its requests are not accepted."),
            )
    f["authority"] = authority

    if data.issuer_type not in LegalRequest.IssuerType.values:
        out.error("issuer_type", _("Choose the type of issuer."))
    f["issuer_type"] = data.issuer_type

    for name in ("issuing_file_number", "validating_file_number"):
        number = stripped_text(getattr(data, name))
        if number and (
            len(number) > 100 or not number.isprintable() or not FILE_NUMBER.match(number)
        ):
            out.error(name, _("Give the file number as written on the order (100 characters)."))
        f[name] = number
    if not f["issuing_file_number"]:
        out.error("issuing_file_number", _("Give the issuing authority's file number."))
    if (data.instrument, data.issuer_type) in NEEDS_VALIDATION and not f["validating_file_number"]:
        out.error(
            "validating_file_number",
            _(
                "A European order from police or an administrative authority must be validated "
                "by a judge, court or prosecutor: give the validating file number."
            ),
        )

    if data.channel not in LegalRequest.Channel.values:
        out.error("channel", _("Choose the channel the request came through."))
    f["channel"] = data.channel

    received = data.received_at
    if received is None:
        out.error("received_at", _("Give the time the request was received."))
    elif timezone.is_naive(received):
        out.error("received_at", _("The time of receipt needs a time zone."))
    elif received > now:
        out.error("received_at", _("The time of receipt cannot be in the future."))
    else:
        f["received_at"] = received.astimezone(UTC)

    for name, limit in (
        ("legal_basis", 500),
        ("offence_description", MAX_TEXT),
        ("statement_of_reasons", MAX_TEXT),
    ):
        text = stripped_text(getattr(data, name))
        if not text:
            out.error(name, _("This field is required."))
        elif len(text) > limit:
            out.error(name, _("At most %(n)d characters.") % {"n": limit})
        f[name] = text

    if (
        not data.offence_category
        or not Category.objects.filter(code=data.offence_category).exists()
    ):
        out.error("offence_category", _("Choose the offence's category."))
    f["offence_category"] = data.offence_category

    requested = set(data.data_requested or ())
    if not requested:
        out.error("data_requested", _("Say which data is requested: IP addresses, phone or both."))
    elif not requested <= set(DataCategory.values):
        out.error("data_requested", _("Only IP addresses and the phone number can be disclosed."))
    f["data_requested"] = [c for c in DataCategory.values if c in requested]

    clean_dates(data, out)

    f["emergency"] = bool(data.emergency)
    f["emergency_justification"] = stripped_text(data.emergency_justification)
    if f["emergency"] and not f["emergency_justification"]:
        out.error(
            "emergency_justification",
            _("Say why this is an emergency (danger of death or serious physical injury)."),
        )

    nondisclosure = data.nondisclosure or LegalRequest.NonDisclosure.NONE
    expires = data.nondisclosure_expires_at
    f["nondisclosure"] = nondisclosure
    f["nondisclosure_expires_at"] = f["nondisclosure_reviewed_at"] = None
    if nondisclosure not in LegalRequest.NonDisclosure.values:
        out.error("nondisclosure", _("Choose the type of non-disclosure order."))
    elif nondisclosure == LegalRequest.NonDisclosure.NONE:
        if expires is not None:
            out.error("nondisclosure_expires_at", _("An expiry needs a non-disclosure order."))
    elif expires is None:
        # No end date (§2705(b)): reviewed periodically; registering is its first review.
        f["nondisclosure_reviewed_at"] = now
    elif error := nondisclosure_end_error(expires, now=now):
        out.error("nondisclosure_expires_at", error)
    else:
        f["nondisclosure_expires_at"] = expires.astimezone(UTC)
    return authority


def clean_dates(data: RequestInput, out: CleanedIntake) -> None:
    zone_name = stripped_text(data.source_timezone)
    zone = None
    if zone_name not in iana_time_zones():
        out.error("source_timezone", _("Choose a named time zone such as Europe/Paris."))
    else:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            out.error("source_timezone", _("Choose a named time zone such as Europe/Paris."))
    out.fields["source_timezone"] = zone_name
    bounds: dict[str, datetime] = {}
    for name in ("date_from", "date_to"):
        value = getattr(data, name)
        if value is None:
            out.error(name, _("Give the start and end of the period."))
        elif zone is not None:
            utc = _local_to_utc(value, zone)
            if utc is None:
                out.error(name, _("This time does not exist in that time zone (clock change)."))
            else:
                bounds[name] = utc
    if len(bounds) == 2:
        if bounds["date_from"] >= bounds["date_to"]:
            out.error("date_to", _("The period must end after it starts."))
        elif bounds["date_to"] - bounds["date_from"] > MAX_DATE_RANGE:
            out.error("date_to", _("The period may not exceed two years."))
    out.fields.update(bounds)


def clean_cases(case_ids: tuple[int, ...], out: CleanedIntake) -> None:
    wanted = sorted(set(case_ids or ()))
    if not wanted:
        out.error(
            "case_ids",
            _("Link at least one moderation case showing that the target broke the terms."),
        )
        return
    out.cases = list(Case.objects.filter(pk__in=wanted).order_by("pk"))
    missing = sorted(set(wanted) - {c.pk for c in out.cases})
    if missing:
        out.error(
            "case_ids",
            ngettext("No case %(ids)s.", "No cases %(ids)s.", len(missing))
            % {"ids": ", ".join(f"#{n}" for n in missing)},
        )
        return


def clean_links(out: CleanedIntake) -> None:
    """
    Each resolved target needs its own link: a linked case showing a violation decided
    against that account, or one about it escalated to legal (to be decided before any
    release). Name each that has none. Whether the policy in force at receipt covers the
    offence is decided at review (B9 and B-policy), so the request itself is still recorded.
    """
    if "targets" in out.errors or "case_ids" in out.errors:
        return  # which case concerns a target cannot be told yet
    links = account_links(
        account_ids={t.account_id for t in out.targets if t.account_id},
        case_ids=[c.pk for c in out.cases],
        policy=None,
    )
    named: set[int] = set()
    for target in out.targets:
        if not target.account_id or target.account_id in named:
            continue
        named.add(target.account_id)
        if links[target.account_id].state == LinkState.MISSING:
            out.error(
                "case_ids",
                _(
                    "Target %(target)s has no linked case showing its own terms violation: "
                    "link a case about content of that account that was decided as a "
                    "violation or escalated to legal."
                )
                % {"target": _target_name(target)},
            )


def _target_name(target: Any) -> str:
    if target.kind == RequestTarget.Kind.PHONE:
        return mask_phone(target.value)
    if target.kind == RequestTarget.Kind.USERNAME:
        return f"@{target.value}"
    return f"account_id:{target.value}"


def policy_at(received_at: datetime) -> DisclosurePolicy | None:
    return (
        DisclosurePolicy.objects.filter(effective_from__lte=received_at)
        .order_by("-effective_from")
        .first()
    )


# --- Services --------------------------------------------------------------------------
