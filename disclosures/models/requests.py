"""Legal requests from authorities, their targets and the verification checklist."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from disclosures.crypto import EncryptedTextField
from disclosures.models.authorities import Authority
from disclosures.models.policy import DisclosurePolicy


class DataCategory(models.TextChoices):
    IP_ADDRESSES = "ip_addresses", _("IP addresses")
    PHONE_NUMBER = "phone_number", _("Phone number")


class LegalRequest(models.Model):
    class Instrument(models.TextChoices):
        EPOC = "epoc", _("European Production Order")
        EPOC_PR = "epoc_pr", _("European Preservation Order")
        DSA_ART10 = "dsa_art10", _("DSA Art. 10 order")
        US_SUBPOENA = "us_subpoena", _("US subpoena")
        US_2703D = "us_2703d", _("US 2703(d) order")
        US_WARRANT = "us_warrant", _("US warrant")
        US_EMERGENCY = "us_emergency", _("US emergency request")
        US_2703F = "us_2703f", _("US 18 U.S.C. §2703(f) preservation request")
        FR_60_1 = "fr_60_1", _("French réquisition (CPP 60-1)")
        FR_77_1_1 = "fr_77_1_1", _("French réquisition (CPP 77-1-1)")
        FR_99_3 = "fr_99_3", _("French réquisition (CPP 99-3)")
        MLAT = "mlat", _("MLAT request")
        OTHER = "other", _("Other")

    class IssuerType(models.TextChoices):
        JUDGE = "judge", _("Judge or court")
        INVESTIGATING_JUDGE = "investigating_judge", _("Investigating judge")
        PROSECUTOR = "prosecutor", _("Prosecutor")
        POLICE = "police", _("Police")
        ADMINISTRATIVE = "administrative", _("Administrative authority")

    class Channel(models.TextChoices):
        ECODEX = "ecodex", _("Decentralised IT system (e-CODEX)")
        DSA_POC = "dsa_poc", _("DSA point of contact")
        PORTAL = "portal", _("Law-enforcement portal")
        EMAIL = "email", _("E-mail")
        POST = "post", _("Post")
        FAX = "fax", _("Fax")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("In review")
        CLARIFICATION = "clarification", _("Clarification requested")
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RELEASED = "released", _("Released")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # A preservation order's records are on hold: nothing is produced, nothing purged.
        PRESERVING = "preserving", _("Records on hold")

    # Preservation orders are holds, not productions: they never build a package.
    PRESERVATION_INSTRUMENTS: ClassVar[frozenset[str]] = frozenset(
        {Instrument.EPOC_PR, Instrument.US_2703F}
    )

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.RECEIVED: frozenset({Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}),
        # IN_REVIEW -> CLOSED: the confirmed "no records found" outcome, nothing released.
        # IN_REVIEW -> PRESERVING: a preservation order's hold is placed.
        Status.IN_REVIEW: frozenset(
            {
                Status.CLARIFICATION,
                Status.PENDING_APPROVAL,
                Status.REJECTED,
                Status.WITHDRAWN,
                Status.CLOSED,
                Status.PRESERVING,
            }
        ),
        Status.CLARIFICATION: frozenset({Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}),
        Status.PENDING_APPROVAL: frozenset(
            {Status.APPROVED, Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN}
        ),
        Status.APPROVED: frozenset({Status.RELEASED, Status.IN_REVIEW, Status.WITHDRAWN}),
        Status.REJECTED: frozenset({Status.CLOSED}),
        Status.RELEASED: frozenset({Status.CLOSED}),
        Status.WITHDRAWN: frozenset({Status.CLOSED}),
        Status.PRESERVING: frozenset({Status.CLOSED, Status.WITHDRAWN}),
        Status.CLOSED: frozenset(),
    }
    OPEN = (
        Status.RECEIVED,
        Status.IN_REVIEW,
        Status.CLARIFICATION,
        Status.PENDING_APPROVAL,
        Status.APPROVED,
    )

    class NonDisclosure(models.TextChoices):
        NONE = "none", _("None")
        US_2705B = "us_2705b", _("US 18 U.S.C. §2705(b) order")
        EPOC_CONFIDENTIALITY = "epoc_confidentiality", _("EPOC confidentiality (Art. 13)")
        FR_SECRET = "fr_secret", _("Secret de l'enquête")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        NONE = "", _("Not yet")
        FULFILLED = "fulfilled", _("Fulfilled")
        PARTLY = "partly", _("Partly fulfilled")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # Nothing in scope: a distinct, confirmed outcome with its own letter (never an
        # empty package).
        NO_RECORDS = "no_records", _("No records found")
        PRESERVED = "preserved", _("Records preserved")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    instrument = models.CharField(_("instrument"), max_length=16, choices=Instrument.choices)
    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="requests", verbose_name=_("authority")
    )
    issuer_type = models.CharField(_("issuer type"), max_length=24, choices=IssuerType.choices)
    issuing_file_number = models.CharField(_("issuing file number"), max_length=100)
    validating_file_number = models.CharField(
        _("validating file number"), max_length=100, blank=True
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received (UTC)"))
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    offence_category = models.CharField(_("offence (moderation category code)"), max_length=40)
    offence_description = models.TextField(_("offence"))
    statement_of_reasons = models.TextField(_("statement of reasons"))
    data_requested = models.JSONField(_("data requested"), default=list)
    date_from = models.DateTimeField(_("from (UTC)"))
    date_to = models.DateTimeField(_("to (UTC)"))
    source_timezone = models.CharField(_("time zone of the request"), max_length=64)
    emergency = models.BooleanField(_("emergency"), default=False)
    emergency_justification = models.TextField(_("emergency justification"), blank=True)
    nondisclosure = models.CharField(
        _("non-disclosure order"),
        max_length=24,
        choices=NonDisclosure.choices,
        default=NonDisclosure.NONE,
    )
    nondisclosure_expires_at = models.DateTimeField(
        _("non-disclosure expires (UTC)"), null=True, blank=True
    )
    # An order without an end date (a §2705(b) order may run "for such period as the court
    # deems appropriate") is re-examined periodically: when someone last reviewed it, and why.
    nondisclosure_reviewed_at = models.DateTimeField(
        _("non-disclosure order last reviewed (UTC)"), null=True, blank=True
    )
    nondisclosure_review_note = models.TextField(
        _("reason given at the last non-disclosure review"), blank=True
    )
    document = models.CharField(_("stored order document"), max_length=300, blank=True)
    document_name = models.CharField(_("original file name"), max_length=200, blank=True)
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveIntegerField(default=0)
    linked_cases = models.ManyToManyField(
        "moderation.Case",
        related_name="legal_requests",
        verbose_name=_("moderation cases"),
        blank=True,
    )
    policy = models.ForeignKey(
        DisclosurePolicy,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("policy in force at receipt"),
    )

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    version = models.PositiveIntegerField(default=1)  # bumped on every change, for TOCTOU checks
    deadline_at = models.DateTimeField(_("deadline (UTC)"))
    deadline_rule = models.CharField(_("deadline rule"), max_length=64)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    outcome_reason = models.TextField(_("reason"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    effect_given_at = models.DateTimeField(_("effect given"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("legal request")
        verbose_name_plural = _("legal requests")
        indexes = [
            models.Index(fields=["status", "deadline_at"], name="request_deadline"),
            models.Index(fields=["authority", "-received_at"], name="request_authority"),
            models.Index(fields=["received_at"], name="request_received"),
            # The non-disclosure reviews due, by due date: only orders without an end date.
            models.Index(
                Coalesce("nondisclosure_reviewed_at", "received_at"),
                name="request_ndo_review_due",
                condition=models.Q(nondisclosure_expires_at__isnull=True)
                & ~models.Q(nondisclosure="none"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_from__lt=models.F("date_to")), name="request_dates_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(emergency=False) | ~models.Q(emergency_justification=""),
                name="request_emergency_justified",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_preservation(self) -> bool:
        return self.instrument in self.PRESERVATION_INSTRUMENTS

    @property
    def has_indefinite_nondisclosure(self) -> bool:
        """A non-disclosure order without an end date: it is reviewed periodically."""
        return (
            self.nondisclosure != self.NonDisclosure.NONE and self.nondisclosure_expires_at is None
        )


class RequestTarget(models.Model):
    """An identifier named by the request, and the platform account it resolves to."""

    class Kind(models.TextChoices):
        ACCOUNT_ID = "account_id", _("Account id")
        USERNAME = "username", _("Username")
        PHONE = "phone", _("Phone number")

    class Resolution(models.TextChoices):
        UNIQUE = "unique", _("Resolved to one account")
        NONE = "none", _("No account")
        AMBIGUOUS = "ambiguous", _("Several accounts")

    request = models.ForeignKey(LegalRequest, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = EncryptedTextField(_("identifier as given"))
    value_index = models.CharField(max_length=64, db_index=True, editable=False)
    account = models.ForeignKey(
        "moderation.PlatformAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.CharField(_("resolution"), max_length=12, choices=Resolution.choices)

    class Meta:
        verbose_name = _("request target")
        verbose_name_plural = _("request targets")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(resolution="unique") | models.Q(account__isnull=False),
                name="target_unique_has_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} target of {self.request_id}"


class VerificationCheck(models.Model):
    """
    One recorded checklist item: who checked what, when, with what evidence. Rows are
    appended; the latest row per code is the item's current result.
    """

    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        NOT_APPLICABLE = "n/a", _("Not applicable")

    request = models.ForeignKey(LegalRequest, on_delete=models.CASCADE, related_name="checks")
    code = models.CharField(_("check"), max_length=8)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    evidence = models.TextField(_("evidence"))
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    performed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("verification check")
        verbose_name_plural = _("verification checks")
        indexes = [models.Index(fields=["request", "code", "-id"], name="check_latest")]

    def __str__(self) -> str:
        return f"{self.code} {self.result}"
