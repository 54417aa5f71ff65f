"""
The verification checklist of a legal request, as data: which items exist, which group they
belong to, which are mandatory (some only for emergencies), and which the system decides by
itself. Also the reason codes used when a request is sent back to the authority or refused.

The codes follow the reference (d.4): A = authenticity, B = legality. Gaps in the numbering
(A4, A5, B3, B11, B12) are checks not required yet; adding one is a row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Group(StrEnum):
    AUTHENTICITY = "authenticity"
    LEGALITY = "legality"


class Mandatory(StrEnum):
    ALWAYS = "always"
    EMERGENCY = "emergency"  # only when the request is flagged as an emergency


@dataclass(frozen=True)
class CheckItem:
    code: str
    group: Group
    label: Promise
    help: Promise
    mandatory: Mandatory
    # Decided by the system from the request's data; never recorded by a person.
    automatic: bool = False

    def is_mandatory(self, *, emergency: bool) -> bool:
        return self.mandatory == Mandatory.ALWAYS or (
            self.mandatory == Mandatory.EMERGENCY and emergency
        )


POLICY_CODE = "B-policy"
# A3: the evidence must name the registry contact that was called back.
CALLBACK_CODE = "A3"
# A6: the second-level verification must be done by someone other than A1-A3's verifiers.
SECOND_LEVEL_CODE = "A6"
FIRST_LEVEL_CODES = ("A1", "A2", "A3")
# A2/A3 can only pass for an authority whose registry entry is verified.
REGISTRY_CODES = ("A2", "A3")
# B4 can only pass when every target resolved to exactly one account.
TARGETS_CODE = "B4"
# B6 can only pass when the categories asked for are ones the platform can release.
CATEGORIES_CODE = "B6"
# B8 and B9 are computed by the system from the data and the moderation cases, per target.
DATA_CODE = "B8"
VIOLATION_CODE = "B9"
SUSPECT_CODE = "B10"

CHECKLIST: tuple[CheckItem, ...] = (
    CheckItem(
        "A1",
        Group.AUTHENTICITY,
        _("Channel expected for the instrument"),
        _("The request arrived through a channel this instrument is sent through."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        "A2",
        Group.AUTHENTICITY,
        _("Sender identity matches the registry"),
        _("Sender domain or e-CODEX identity equals a contact verified in the registry."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        CALLBACK_CODE,
        Group.AUTHENTICITY,
        _("Out-of-band callback to a registry contact"),
        _(
            "Call the authority back on a contact taken from the registry, never one from the "
            "request, and name which contact was called."
        ),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        SECOND_LEVEL_CODE,
        Group.AUTHENTICITY,
        _("Second-level verification by a different person"),
        _(
            "Someone other than the person who verified A1-A3 repeats the authenticity "
            "checks. Mandatory for emergencies."
        ),
        Mandatory.EMERGENCY,
    ),
    CheckItem(
        "B1",
        Group.LEGALITY,
        _("Issuer competent for the data"),
        _("The issuer type may order this data under this instrument."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        "B2",
        Group.LEGALITY,
        _("Legal basis cited and applicable"),
        _("The cited provision exists and applies to this request."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        TARGETS_CODE,
        Group.LEGALITY,
        _("Specific targets"),
        _("Every target resolves to exactly one platform account."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        "B5",
        Group.LEGALITY,
        _("Bounded dates with a time zone"),
        _("The date range has both ends and its time zone is known."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        CATEGORIES_CODE,
        Group.LEGALITY,
        _("Data within what the instrument permits"),
        _(
            "The categories asked for are IP addresses and/or phone number, and the instrument "
            "may obtain them."
        ),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        "B7",
        Group.LEGALITY,
        _("Proportionality"),
        _("The statement of reasons shows the request is necessary and proportionate."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        VIOLATION_CODE,
        Group.LEGALITY,
        _("Terms violation by each target"),
        _(
            "Computed per target: a linked moderation case shows a violation decided against "
            "that account (not reversed), or a case about it is escalated to legal and must be "
            "decided before release. Re-checked at freeze, at each approval and at release."
        ),
        Mandatory.ALWAYS,
        automatic=True,
    ),
    CheckItem(
        SUSPECT_CODE,
        Group.LEGALITY,
        _("Each target named as a suspect"),
        _("The order names each target account's user as a suspect in the offence."),
        Mandatory.ALWAYS,
    ),
    CheckItem(
        DATA_CODE,
        Group.LEGALITY,
        _("Data exists"),
        _(
            "Computed from the data: the records the platform holds for each target, category "
            'and date range. A request with none ends as "no records found".'
        ),
        Mandatory.ALWAYS,
        automatic=True,
    ),
    CheckItem(
        POLICY_CODE,
        Group.LEGALITY,
        _("Offence covered by the policy in force at receipt"),
        _("Decided from the disclosure policy version in force when the request was received."),
        Mandatory.ALWAYS,
        automatic=True,
    ),
)

ITEMS: dict[str, CheckItem] = {item.code: item for item in CHECKLIST}
RECORDABLE: tuple[CheckItem, ...] = tuple(item for item in CHECKLIST if not item.automatic)


def mandatory_codes(*, emergency: bool) -> list[str]:
    return [item.code for item in CHECKLIST if item.is_mandatory(emergency=emergency)]


class ClarificationReason(models.TextChoices):
    """Why a request is sent back to the authority (EPOC Annex III, section by section)."""

    INCOMPLETE = "incomplete", _("Incomplete")
    MANIFEST_ERRORS = "manifest_errors", _("Manifest errors")
    INSUFFICIENT_INFORMATION = "insufficient_info", _("Insufficient information")
    DATA_NOT_STORED = "data_not_stored", _("Data not stored")
    OTHER_IMPOSSIBILITY = "other_impossibility", _("Other impossibility")
    INCOMPETENT_AUTHORITY = "incompetent_authority", _("Incompetent authority")


class RefusalReason(models.TextChoices):
    """Why the reviewers refuse a request outright, before any scope is approved."""

    INAUTHENTIC = "inauthentic", _("Not authentic")
    INCOMPETENT_AUTHORITY = "incompetent_authority", _("Incompetent authority")
    NO_LEGAL_BASIS = "no_legal_basis", _("No applicable legal basis")
    NOT_COVERED = "not_covered", _("Offence not covered by the disclosure policy")
    NO_TERMS_VIOLATION = "no_terms_violation", _("No terms violation by a suspect")
    DISPROPORTIONATE = "disproportionate", _("Not necessary or proportionate")
    DATA_NOT_STORED = "data_not_stored", _("Data not stored")
    OTHER = "other", _("Other")
