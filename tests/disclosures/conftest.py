from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from disclosures.models import LegalRequest
from disclosures.services.intake import RequestInput
from tests.disclosures.factories import (
    make_account,
    make_authority,
)
from tests.disclosures.helpers import escalated_case


@pytest.fixture
def legal(make_user):
    return make_user(Role.LEGAL_OFFICER, username="louise")


@pytest.fixture
def approver(make_user):
    return make_user(Role.LEGAL_APPROVER, username="anton")


@pytest.fixture
def approver2(make_user):
    return make_user(Role.LEGAL_APPROVER, username="ines")


@pytest.fixture
def legal_client(legal, client_for):
    return client_for(legal)


@pytest.fixture
def approver_client(approver, client_for):
    return client_for(approver)


@pytest.fixture
def private_storage(settings, tmp_path):
    """Private files (orders, packages) in a folder of the test's own."""
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


@pytest.fixture
def suspect():
    return make_account(username="darkseller")


@pytest.fixture
def authority():
    return make_authority(country="FR")


@pytest.fixture
def evidence(suspect):
    return escalated_case(suspect)


@pytest.fixture
def valid(authority, suspect, evidence) -> RequestInput:
    """A complete EPOC about one account, linked to a case escalated to legal."""
    return RequestInput(
        instrument=LegalRequest.Instrument.EPOC,
        authority_id=authority.pk,
        issuer_type=LegalRequest.IssuerType.INVESTIGATING_JUDGE,
        issuing_file_number="JI-2026/0042",
        channel=LegalRequest.Channel.ECODEX,
        received_at=timezone.now() - timedelta(hours=1),
        legal_basis="Regulation (EU) 2023/1543, Art. 5",
        offence_category="illegal_drugs",
        offence_description="Sale of narcotics through a channel",
        statement_of_reasons="The account administers a channel selling narcotics.",
        data_requested=("ip_addresses", "phone_number"),
        date_from=datetime(2026, 10, 1, 0, 0),
        date_to=datetime(2026, 11, 1, 0, 0),
        source_timezone="Europe/Paris",
        targets=(f"account_id:{suspect.platform_id}",),
        case_ids=(evidence.pk,),
    )


@pytest.fixture
def second_legal(make_user):
    return make_user(Role.LEGAL_OFFICER, username="second-verifier")
