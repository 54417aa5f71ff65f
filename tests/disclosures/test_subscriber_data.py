from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta, timezone
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from disclosures import crypto
from disclosures.models import SubscriberIp, SubscriberPhone
from disclosures.services.subscriber_data import (
    InvalidValue,
    SubscriberDataInvalid,
    SubscriberRow,
    ip_normalise,
    phone_normalise,
    subscriber_data_ingest,
    subscriber_rows_check,
)
from moderation.models import PlatformAccount
from tests.disclosures.factories import make_account
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db

SEEN = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
HEADER = "account_id,phone,ip,port,seen_at\n"


def ingest(*rows: SubscriberRow):
    return subscriber_data_ingest(rows=list(rows), source="test")


def errors_of(*rows: SubscriberRow) -> list[tuple[int, str]]:
    return [(e.number, e.field) for e in subscriber_rows_check(rows=list(rows))[1]]


def write_csv(tmp_path: Path, body: str, name: str = "subscribers.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def run_import(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_subscriber_data", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- Phone numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_as", "e164"),
    [
        ("+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33-6-12-34-56-78", "+33612345678"),
        ("+33.6.12.34.56.78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("  +33 6 12 34 56 78  ", "+33612345678"),
        ("+1 650-253-0000", "+16502530000"),
        ("+1 (650) 253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_phone_normalise_turns_international_formats_into_e164(given_as, e164):
    assert phone_normalise(given_as) == e164


@pytest.mark.parametrize(
    "bad",
    [
        "06 12 34 56 78",  # national: which country?
        "0033612345678",
        "+336123456789",  # one digit too many for France
        "+33 1",
        "+999 123456",  # no such country code
        "+1 800 FLOWERS",  # letters are not interpreted
        "+33 6 12 34 56 78 ext. 12",  # E.164 has no extension
        "+",
        "",
        "+33 6 12 34 56 78" + " 9" * 30,
        33612345678,
        None,
    ],
)
def test_phone_normalise_refuses_what_is_not_a_valid_international_number(bad):
    with pytest.raises(InvalidValue):
        phone_normalise(bad)


# --- IP addresses, ports, times ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_as", "stored"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 198.51.100.1 ", "198.51.100.1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"),
        ("::1", "::1"),
    ],
)
def test_ip_normalise_accepts_v4_and_v6_in_compressed_form(given_as, stored):
    assert ip_normalise(given_as) == stored


@pytest.mark.parametrize(
    "bad",
    ["256.1.1.1", "010.0.0.1", "203.0.113", "2001:db8::1::2", "fe80::1%eth0", "example.com", "", 1],
)
def test_ip_normalise_refuses_what_is_not_an_address(bad):
    with pytest.raises(InvalidValue):
        ip_normalise(bad)


@pytest.mark.parametrize("port", [0, 443, 65535, "8080", " 22 "])
def test_ports_from_0_to_65535_are_accepted(port):
    assert errors_of(SubscriberRow("a1", ip="203.0.113.7", port=port, seen_at=SEEN)) == []


@pytest.mark.parametrize("port", [-1, 65536, "80a", "-5", "123456", True, 1.5, [80]])
def test_other_ports_are_refused(port):
    rows = [SubscriberRow("a1", ip="203.0.113.7", port=port, seen_at=SEEN)]
    assert errors_of(*rows) == [(0, "port")]


def test_an_ip_needs_its_time_and_a_time_needs_its_ip():
    assert errors_of(
        SubscriberRow("a1", ip="203.0.113.7"),
        SubscriberRow("a1", seen_at=SEEN),
        SubscriberRow("a1", port=443, phone="+33612345678"),
        SubscriberRow("a1"),
    ) == [(0, "seen_at"), (1, "ip"), (2, "ip"), (3, "")]


@pytest.mark.parametrize(
    "seen_at", ["2026-10-05 12:00:00", "yesterday", datetime(2026, 10, 5, 12), "1969-12-31T23:59Z"]
)
def test_times_must_be_iso_8601_with_a_time_zone(seen_at):
    assert errors_of(SubscriberRow("a1", ip="203.0.113.7", seen_at=seen_at)) == [(0, "seen_at")]


@pytest.mark.parametrize("account_id", ["", "   ", "has space", "x" * 65, 42, None])
def test_account_id_must_be_an_identifier(account_id):
    rows = [SubscriberRow(account_id, phone="+33612345678")]
    assert errors_of(*rows) == [(0, "account_id")]


@hypothesis_settings(
    max_examples=300, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=60))
def test_validators_answer_arbitrary_text_with_a_value_or_a_validation_error(text):
    for normalise in (phone_normalise, ip_normalise):
        try:
            clean = normalise(text)
        except InvalidValue:
            continue
        assert normalise(clean) == clean  # normal forms are stable


@hypothesis_settings(
    max_examples=200, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.builds(
            SubscriberRow,
            account_id=st.one_of(st.text(max_size=70), st.integers(), st.none()),
            phone=st.one_of(st.text(max_size=30), st.none(), st.integers()),
            ip=st.one_of(st.text(max_size=45), st.ip_addresses().map(str), st.none()),
            port=st.one_of(st.integers(), st.text(max_size=6), st.none(), st.floats()),
            seen_at=st.one_of(st.datetimes(), st.text(max_size=30), st.none()),
        ),
        max_size=5,
    )
)
def test_checking_arbitrary_rows_never_fails_other_than_with_row_errors(rows):
    clean, errors = subscriber_rows_check(rows=rows)

    assert {e.number for e in errors} <= set(range(len(rows)))
    assert {e.field for e in errors} <= {"", "account_id", "phone", "ip", "port", "seen_at"}
    assert len(clean) + len({e.number for e in errors}) >= len(rows)


# --- Import: storage -----------------------------------------------------------------------------


def test_ingest_stores_values_encrypted_and_findable_by_blind_index():
    summary = ingest(
        SubscriberRow("acct-1", phone="+33 6 12 34 56 78"),
        SubscriberRow("acct-1", ip="2001:DB8::7", port=51234, seen_at=SEEN),
    )

    assert (summary.phones_created, summary.ip_records_created) == (1, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_index FROM disclosures_subscriberphone")
        phone_raw, phone_index = cursor.fetchone()
        cursor.execute("SELECT ip, ip_index FROM disclosures_subscriberip")
        ip_raw, ip_index = cursor.fetchone()
    assert "612345678" not in phone_raw
    assert "2001" not in ip_raw.lower()
    assert phone_index == crypto.blind_index("+33612345678", kind="phone")
    assert ip_index == crypto.blind_index("2001:db8::7", kind="ip")
    phone = SubscriberPhone.objects.get(
        phone_index=crypto.blind_index("+33612345678", kind="phone")
    )
    assert (phone.account.platform_id, phone.phone) == ("acct-1", "+33612345678")
    record = SubscriberIp.objects.get(ip_index=crypto.blind_index("2001:db8::7", kind="ip"))
    assert (record.ip, record.port, record.seen_at) == ("2001:db8::7", 51234, SEEN)


def test_ingest_creates_missing_accounts_and_reuses_existing_ones():
    existing = make_account("acct-known")

    summary = ingest(
        SubscriberRow("acct-known", phone="+33612345678"),
        SubscriberRow("acct-new", phone="+33698765432"),
    )

    assert summary.accounts_created == 1
    assert existing.subscriber_phone.phone == "+33612345678"
    assert PlatformAccount.objects.get(platform_id="acct-new").subscriber_phone.phone == (
        "+33698765432"
    )


def test_seen_at_is_stored_in_utc():
    paris = timezone(timedelta(hours=2))
    ingest(SubscriberRow("a1", ip="203.0.113.7", seen_at="2026-10-05T14:00:00+02:00"))
    ingest(SubscriberRow("a1", ip="203.0.113.8", seen_at=datetime(2026, 10, 5, 14, tzinfo=paris)))

    assert {r.seen_at for r in SubscriberIp.objects.all()} == {SEEN}
    assert all(r.seen_at.utcoffset() == timedelta(0) for r in SubscriberIp.objects.all())


def test_a_changed_phone_replaces_the_old_one_and_an_unchanged_one_is_left_alone():
    ingest(SubscriberRow("a1", phone="+33612345678"), SubscriberRow("a2", phone="+33600000001"))

    summary = ingest(
        SubscriberRow("a1", phone="+33 6 98 76 54 32"), SubscriberRow("a2", phone="+33600000001")
    )

    assert (summary.phones_created, summary.phones_updated, summary.phones_unchanged) == (0, 1, 1)
    assert SubscriberPhone.objects.count() == 2
    assert SubscriberPhone.objects.get(account__platform_id="a1").phone == "+33698765432"
    assert SubscriberPhone.objects.get(account__platform_id="a1").phone_index == (
        crypto.blind_index("+33698765432", kind="phone")
    )


def test_two_phone_numbers_for_one_account_in_one_batch_are_refused():
    rows = [
        SubscriberRow("a1", phone="+33612345678"),
        SubscriberRow("a1", phone="+33 6 12 34 56 78", ip="203.0.113.7", seen_at=SEEN),
        SubscriberRow("a1", phone="+33698765432"),
    ]

    assert errors_of(*rows) == [(2, "phone")]


def test_reimporting_the_same_batch_changes_nothing():
    rows = [
        SubscriberRow("a1", phone="+33612345678", ip="203.0.113.7", port=443, seen_at=SEEN),
        SubscriberRow("a1", ip="203.0.113.7", seen_at=SEEN),  # no port: NULL is not unique
        SubscriberRow("a1", ip="203.0.113.7", seen_at=SEEN),  # repeated in the batch
    ]
    first = ingest(*rows)

    again = ingest(*rows)

    assert (first.ip_records_created, first.ip_records_duplicate) == (2, 1)
    assert (again.ip_records_created, again.ip_records_duplicate) == (0, 3)
    assert (again.accounts_created, again.phones_created, again.phones_unchanged) == (0, 0, 1)
    assert SubscriberIp.objects.count() == 2


def test_ingest_records_one_audit_event_with_counts_and_no_values():
    ingest(SubscriberRow("a1", phone="+33612345678", ip="203.0.113.7", port=443, seen_at=SEEN))

    event = AuditEvent.objects.get(action="subscriber_data.imported")
    assert event.data == {
        "source": "test",
        "rows": 1,
        "accounts_created": 1,
        "phones_created": 1,
        "phones_updated": 0,
        "phones_unchanged": 0,
        "ip_records_created": 1,
        "ip_records_duplicate": 0,
    }
    assert AuditEvent.objects.count() == 1


def test_one_bad_row_refuses_the_whole_batch_and_lists_every_problem():
    rows = [
        SubscriberRow("a1", phone="+33612345678", number=2),
        SubscriberRow("a2", phone="0612345678", ip="999.1.1.1", seen_at=SEEN, number=3),
        SubscriberRow("a3", ip="203.0.113.7", seen_at=SEEN, number=4),
        SubscriberRow("a4", ip="203.0.113.7", port=70000, seen_at=SEEN, number=5),
    ]

    with pytest.raises(SubscriberDataInvalid) as refused:
        subscriber_data_ingest(rows=rows, source="test")

    assert [(e.number, e.field) for e in refused.value.errors] == [
        (3, "phone"),
        (3, "ip"),
        (5, "port"),
    ]
    assert not PlatformAccount.objects.exists()
    assert not SubscriberPhone.objects.exists()
    assert not SubscriberIp.objects.exists()
    assert not AuditEvent.objects.exists()


def test_ingest_query_count_grows_with_batches_not_rows(django_assert_max_num_queries):
    def batch(n: int, offset: int) -> list[SubscriberRow]:
        return [
            SubscriberRow(
                f"bulk-{offset + i}",
                phone=f"+336{10000000 + offset + i}",
                ip=str(ipaddress.IPv4Address(0x0A000000 + offset + i)),
                port=1024 + i,
                seen_at=SEEN + timedelta(seconds=i),
            )
            for i in range(n)
        ]

    with django_assert_max_num_queries(100) as small:
        subscriber_data_ingest(rows=batch(10, 0), source="test")
    with django_assert_max_num_queries(100) as large:
        subscriber_data_ingest(rows=batch(1000, 10_000), source="test")

    assert SubscriberIp.objects.count() == 1010
    # One more query per bulk batch at most (SQLite caps a batch by its parameter limit).
    assert len(large.captured_queries) <= len(small.captured_queries) + 25, (
        len(small.captured_queries),
        len(large.captured_queries),
    )


# --- The CSV command -----------------------------------------------------------------------------


def test_csv_import_stores_the_rows(tmp_path):
    path = write_csv(
        tmp_path,
        "acct-1,+33 6 12 34 56 78,203.0.113.7,443,2026-10-05T12:00:00Z\n"
        "acct-1,,2001:db8::1,,2026-10-05T13:00:00+00:00\n"
        "acct-2,+1 650-253-0000,,,\n",
    )

    out, err = run_import(path)

    assert err == ""
    assert "Imported 3 row(s)" in out
    assert SubscriberPhone.objects.count() == 2
    assert sorted(SubscriberIp.objects.values_list("port", flat=True), key=str) == [443, None]


def test_csv_with_one_bad_line_in_the_middle_imports_nothing_and_names_that_line(tmp_path):
    path = write_csv(
        tmp_path,
        "acct-1,+33612345678,,,\n"
        "acct-2,+33698765432,203.0.113.7,443,2026-10-05T12:00:00Z\n"
        "acct-3,+33 6 12,203.0.113.8,443,2026-10-05T12:00:00Z\n"
        "acct-4,+33600000001,,,\n",
    )

    with pytest.raises(CommandError, match="nothing was imported"):
        run_import(path)

    assert not PlatformAccount.objects.exists()
    assert not SubscriberPhone.objects.exists()
    assert not SubscriberIp.objects.exists()


def test_csv_errors_are_printed_as_line_field_reason(tmp_path, capsys):
    path = write_csv(
        tmp_path,
        "acct-1,+33612345678,,,\n"
        "acct-2,0612345678,203.0.113.999,443,2026-10-05T12:00:00Z\n"
        "acct-3,,203.0.113.8,,\n"
        "acct-4,+33600000001,,,,extra\n",
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_subscriber_data", str(path), stdout=StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("line 3: ip: ")
    assert lines[1].startswith("line 3: phone: Start with + and the country code")
    assert lines[2].startswith("line 4: seen_at: ")
    assert lines[3].startswith("line 5: Expected 5 columns")
    assert len(lines) == 4


def test_csv_line_numbers_count_blank_and_multi_line_records(tmp_path):
    path = write_csv(
        tmp_path,
        '"acct-1","+33 6 12\n34 56 78",,,\n'  # lines 2-3: a quoted newline
        "\n"  # line 4
        "acct-2,+33 6 12,,,\n",  # line 5
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_subscriber_data", str(path), stdout=StringIO(), stderr=err)

    assert [line.split(":")[0] for line in err.getvalue().splitlines()] == ["line 2", "line 5"]


def test_csv_with_a_wrong_header_is_refused(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("account,phone\nacct-1,+33612345678\n", encoding="utf-8")

    with pytest.raises(CommandError, match="line 1: the header must be"):
        run_import(path)


def test_csv_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(tmp_path / "missing.csv")


def test_csv_reimport_is_idempotent(tmp_path):
    path = write_csv(
        tmp_path,
        "acct-1,+33612345678,203.0.113.7,443,2026-10-05T12:00:00Z\n"
        "acct-1,,203.0.113.7,,2026-10-05T12:00:00Z\n",
    )
    run_import(path)

    out, _ = run_import(path)

    assert "0 IP record(s) added, 2 already known" in out
    assert "1 unchanged" in out
    assert SubscriberIp.objects.count() == 2
    assert AuditEvent.objects.filter(action="subscriber_data.imported").count() == 2


# --- Concurrency (PostgreSQL: SQLite serialises all writers anyway) ----------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_imported_by_several_callers_at_once_is_stored_once():
    rows = [
        SubscriberRow(
            f"race-{i % 7}", phone=f"+3361234{i % 7:04d}", ip=f"198.51.100.{i}", seen_at=SEEN
        )
        for i in range(40)  # no port: only the import's own check keeps these unique
    ]
    threads_count = 4
    results = race(
        *[
            lambda i=i: subscriber_data_ingest(rows=rows[::-1] if i % 2 else rows, source="race")
            for i in range(threads_count)
        ]
    )
    errors = race_errors(results)

    assert errors == []
    assert PlatformAccount.objects.filter(platform_id__startswith="race-").count() == 7
    assert SubscriberPhone.objects.count() == 7
    assert SubscriberIp.objects.count() == 40
    assert AuditEvent.objects.filter(action="subscriber_data.imported").count() == threads_count
