"""
The demo's legal work as data: the authorities (with contacts from their official
directories) and one plan per demo request, naming the state it is carried to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

AUTHORITIES = [
    (
        "Tribunal judiciaire de Paris — juge d'instruction",
        "FR",
        "investigating_judge",
        "+33 1 44 32 51 51",
        "annuaire.justice.gouv.fr",
    ),
    ("Staatsanwaltschaft Berlin", "DE", "prosecutor", "+49 30 9014 0", "justiz.berlin.de"),
    (
        "Procura della Repubblica di Milano",
        "IT",
        "prosecutor",
        "+39 02 5433 1",
        "giustizia.it/giustizia/it/mg_1_7",
    ),
    (
        "Audiencia Nacional — Juzgado Central de Instrucción 4",
        "ES",
        "court",
        "+34 91 397 33 00",
        "poderjudicial.es",
    ),
    (
        "Federal Bureau of Investigation — Cyber Division",
        "US",
        "police",
        "+1 202 324 3000",
        "fbi.gov/contact-us/field-offices",
    ),
    (
        "Politie Nederland — Team High Tech Crime",
        "NL",
        "police",
        "+31 88 169 4000",
        "politie.nl/contact",
    ),
]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass(frozen=True)
class Plan:
    name: str
    authority: int
    instrument: str
    issuer: str
    offence: str
    received_days_ago: float
    final: str
    emergency: bool = False
    nondisclosure: str = "none"
    nondisclosure_days: int | None = None
    data: tuple[str, ...] = ("ip_addresses", "phone_number")
    # The period asked for; the default covers the demo's subscriber data.
    period: tuple[datetime, datetime] = (
        datetime(2026, 8, 1, tzinfo=UTC),
        datetime(2026, 11, 20, tzinfo=UTC),
    )


PLANS = [
    Plan("new", 0, "epoc", "investigating_judge", "illegal_drugs", 0.1, "received"),
    Plan("review", 1, "dsa_art10", "prosecutor", "scams_fraud", 1, "in_review"),
    Plan("clarify", 4, "us_subpoena", "police", "weapons", 3, "clarification"),
    Plan("pending", 0, "fr_77_1_1", "prosecutor", "illegal_drugs", 2, "pending_approval"),
    Plan(
        "emergency",
        4,
        "us_emergency",
        "police",
        "violence_threats",
        0.2,
        "pending_approval",
        emergency=True,
    ),
    Plan("approved", 2, "epoc", "prosecutor", "scams_fraud", 4, "approved"),
    Plan("released", 0, "epoc", "investigating_judge", "illegal_drugs", 6, "released"),
    Plan(
        "gagged",
        4,
        "us_2703d",
        "judge",
        "hate_speech",
        9,
        "released",
        nondisclosure="us_2705b",
        nondisclosure_days=90,
        data=("ip_addresses",),
    ),
    # A §2705(b) order "for such period as the court deems appropriate": no end date, and
    # its periodic review is overdue (the request is closed; the user's notice still waits).
    Plan(
        "gagged_indefinitely",
        4,
        "us_2703d",
        "judge",
        "violence_threats",
        130,
        "closed",
        nondisclosure="us_2705b",
    ),
    Plan("closed", 3, "epoc", "judge", "terrorism", 70, "closed"),
    Plan("closed2", 5, "dsa_art10", "police", "scams_fraud", 80, "closed", data=("phone_number",)),
    Plan("refused", 1, "dsa_art10", "prosecutor", "harassment", 40, "rejected"),
    Plan("withdrawn", 2, "epoc", "prosecutor", "weapons", 20, "withdrawn"),
    # A period before the platform kept any record for the suspect: nothing to release, so
    # the request ends as "no records found" with its own letter.
    Plan(
        "no_records",
        0,
        "fr_60_1",
        "investigating_judge",
        "scams_fraud",
        12,
        "no_records",
        data=("ip_addresses",),
        period=(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)),
    ),
]
