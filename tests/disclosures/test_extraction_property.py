"""
Property: over random subscriber data and random scopes, the extraction (and the package
built from it) holds exactly the in-scope data: those accounts, those categories, IP records
with date_from <= seen_at < date_to. Nothing missing, nothing extra.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disclosures.package import (
    DATA_JSON,
    PackageContext,
    build,
    canonical_bytes,
    extract,
    package_qa,
    sha256_hex,
    utc_iso,
)
from tests.disclosures.factories import give_subscriber_data, make_account

pytestmark = pytest.mark.django_db

CATEGORIES = ("ip_addresses", "phone_number")
PHONES = ("+33612345678", "+4915123456789", "+14155552671", "+447911123456")
BASE = datetime(2026, 10, 1, tzinfo=UTC)
NEAR = (
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(microseconds=-1),
    timedelta(seconds=1),
    timedelta(seconds=-1),
)
_ids = itertools.count(1)


@st.composite
def scenarios(draw):
    """Accounts with random data, and a random scope over some of them."""
    start = BASE + timedelta(hours=draw(st.integers(0, 48)))
    end = start + draw(
        st.sampled_from([timedelta(microseconds=1), timedelta(hours=1), timedelta(days=3)])
    )
    edges = [start + d for d in NEAR] + [end + d for d in NEAR]
    moments = st.one_of(
        st.sampled_from(edges),
        st.datetimes(
            min_value=(start - timedelta(days=2)).replace(tzinfo=None),
            max_value=(end + timedelta(days=2)).replace(tzinfo=None),
            timezones=st.just(UTC),
        ),
    )
    record = st.tuples(st.ip_addresses().map(str), st.none() | st.integers(0, 65535), moments)
    n = draw(st.integers(1, 4))
    accounts = [
        {
            "phone": draw(st.none() | st.sampled_from(PHONES)),
            "ips": draw(st.lists(record, max_size=6, unique_by=lambda r: (r[0], r[1], r[2]))),
        }
        for _ in range(n)
    ]
    chosen = sorted(draw(st.sets(st.integers(0, n - 1), max_size=n)))
    categories = sorted(draw(st.sets(st.sampled_from(CATEGORIES))))
    return accounts, chosen, categories, start, end


def scope_json(platform_ids: list[str], categories: list[str], start, end) -> str:
    """A scope in the shape review freezes (canonical JSON)."""
    payload = {
        "accounts": sorted(platform_ids),
        "categories": categories,
        "date_from": utc_iso(start),
        "date_to": utc_iso(end),
        "recipient": {"authority_id": 1, "name": "Court", "country": "FR", "channel": "ecodex"},
        "request": {"id": 1, "reference": "LR-PROP", "version": 1},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def rows(values):
    return sorted(canonical_bytes(v).decode() for v in values)


CONTEXT = PackageContext(
    reference="LR-PROP",
    request_uuid="00000000-0000-0000-0000-000000000000",
    authority="Court",
    authority_country="FR",
    instrument="EPOC",
    issuing_file_number="F-1",
    validating_file_number="",
    legal_basis="Reg. 2023/1543",
    received_at=BASE,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_extraction_is_exactly_the_scope(scenario):
    accounts, chosen, categories, start, end = scenario
    with transaction.atomic():
        made = []
        for spec in accounts:
            account = make_account(platform_id=f"acct-prop-{next(_ids)}")
            give_subscriber_data(account, phone=spec["phone"], ips=spec["ips"])
            made.append((account.platform_id, spec))
        in_scope = [made[i] for i in chosen]
        text = scope_json([pid for pid, _ in in_scope], categories, start, end)

        data = extract(text)

        expected = {}
        if "phone_number" in categories:
            expected["phone_numbers"] = [
                {"account": pid, "phone": spec["phone"]} for pid, spec in in_scope if spec["phone"]
            ]
        if "ip_addresses" in categories:
            expected["ip_records"] = [
                {"account": pid, "ip": ip, "port": port, "seen_at": utc_iso(seen)}
                for pid, spec in in_scope
                for ip, port, seen in spec["ips"]
                if start <= seen < end
            ]
        assert set(data) == set(expected)
        for key, values in expected.items():
            assert rows(data[key]) == rows(values), key

        # The package built from the same scope carries exactly this data and passes QA.
        digest = sha256_hex(text.encode())
        package = build(scope_json=text, scope_hash=digest, context=CONTEXT, created_at=BASE)
        document = json.loads(package.files[DATA_JSON])
        for key, values in expected.items():
            assert rows(document[key]) == rows(values), key
        assert not ({"phone_numbers", "ip_records"} - set(expected)) & set(document)
        report = package_qa(
            files=package.files, scope_json=text, scope_hash=digest, source_data=data
        )
        if any(expected.get(key) for key in ("phone_numbers", "ip_records")):
            assert report.passed, report.problems
        else:  # an empty package never passes: "no records found" is its own outcome
            assert [p["code"] for p in report.problems] == ["empty_package"]
        transaction.set_rollback(True)
