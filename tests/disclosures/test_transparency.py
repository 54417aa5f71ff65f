"""The quarterly transparency report on a known data set: numbers, medians, CSV, page."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disclosures.models import LegalRequest, UserNotice
from disclosures.selectors.transparency import transparency_report
from tests.disclosures.factories import make_account, make_authority, make_request

pytestmark = pytest.mark.django_db

Status, Outcome, Instrument = LegalRequest.Status, LegalRequest.Outcome, LegalRequest.Instrument


def made(legal, authority, received, *, ack=None, effect=None, notices=(), **fields):
    """A request received at `received`, acknowledged/given effect `ack`/`effect` hours later."""
    request = make_request(
        created_by=legal,
        authority=authority,
        received_at=received,
        acknowledged_at=received + timedelta(hours=ack) if ack is not None else None,
        effect_given_at=received + timedelta(hours=effect) if effect is not None else None,
        **fields,
    )
    for account in notices:
        UserNotice.objects.create(request=request, account=account, status=UserNotice.Status.SENT)
    return request


@pytest.fixture
def dataset(legal):
    """Q3 2026: three requests from France, one from Germany, one from the US; two outside."""
    fr, de, us = (make_authority(country=c) for c in ("FR", "DE", "US"))
    a, b, c = make_account(), make_account(), make_account()
    made(
        legal,
        fr,
        datetime(2026, 7, 1, tzinfo=UTC),
        ack=2,
        effect=10,
        notices=[a, b],
        accounts=[a, b],
        status=Status.RELEASED,
        outcome=Outcome.FULFILLED,
        instrument=Instrument.EPOC,
    )
    made(
        legal,
        fr,
        datetime(2026, 8, 10, 9, tzinfo=UTC),
        ack=4,
        effect=30,
        notices=[a],
        accounts=[a],
        status=Status.CLOSED,
        outcome=Outcome.PARTLY,
        instrument=Instrument.FR_77_1_1,
        emergency=True,
        nondisclosure=LegalRequest.NonDisclosure.FR_SECRET,
        data_requested=["ip_addresses"],
    )
    made(
        legal,
        fr,
        datetime(2026, 9, 30, 23, 59, tzinfo=UTC),
        ack=1,
        status=Status.REJECTED,
        outcome=Outcome.REJECTED,
        instrument=Instrument.DSA_ART10,
        data_requested=["ip_addresses"],
    )
    made(
        legal,
        de,
        datetime(2026, 7, 15, tzinfo=UTC),
        ack=6,
        accounts=[make_account(), make_account(), make_account()],
        status=Status.WITHDRAWN,
        outcome=Outcome.WITHDRAWN,
        data_requested=["phone_number"],
    )
    made(
        legal,
        us,
        datetime(2026, 8, 1, tzinfo=UTC),
        ack=3,
        effect=8,
        notices=[c],
        accounts=[c],
        status=Status.RELEASED,
        outcome=Outcome.FULFILLED,
        instrument=Instrument.US_EMERGENCY,
        emergency=True,
    )
    # Outside Q3: the first instant of Q4 and the last second of Q2.
    for received in (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
    ):
        made(legal, fr, received, ack=1, effect=1, notices=[c], outcome=Outcome.FULFILLED)


def test_report_counts_per_country(dataset):
    report = transparency_report(year=2026, quarter=3)

    rows = {r.country: r for r in report.rows}
    assert list(rows) == ["DE", "FR", "US"]
    fr = rows["FR"]
    assert (fr.received, fr.fulfilled, fr.partly_fulfilled, fr.rejected, fr.withdrawn) == (
        3,
        1,
        1,
        1,
        0,
    )
    assert (fr.accounts_requested, fr.users_affected) == (4, 2)
    assert (fr.emergencies, fr.nondisclosure_orders) == (1, 1)
    assert fr.by_category == {"ip_addresses": 3, "phone_number": 1}
    assert {k: v for k, v in fr.by_instrument.items() if v} == {
        "epoc": 1,
        "fr_77_1_1": 1,
        "dsa_art10": 1,
    }
    assert fr.median_hours_to_acknowledge == 2.0  # 1, 2, 4
    assert fr.median_hours_to_give_effect == 20.0  # 10, 30

    de = rows["DE"]
    assert (de.received, de.withdrawn, de.accounts_requested, de.users_affected) == (1, 1, 3, 0)
    assert de.by_category == {"ip_addresses": 0, "phone_number": 1}
    assert (de.median_hours_to_acknowledge, de.median_hours_to_give_effect) == (6.0, None)

    us = rows["US"]
    assert (us.received, us.fulfilled, us.users_affected, us.emergencies) == (1, 1, 1, 1)
    assert (us.median_hours_to_acknowledge, us.median_hours_to_give_effect) == (3.0, 8.0)


def test_report_totals_count_each_user_once(dataset):
    total = transparency_report(year=2026, quarter=3).total

    assert (total.received, total.fulfilled, total.partly_fulfilled) == (5, 2, 1)
    assert (total.rejected, total.withdrawn, total.emergencies) == (1, 1, 2)
    assert total.accounts_requested == 8
    assert total.users_affected == 3  # account a was in two French requests
    assert total.median_hours_to_acknowledge == 3.0  # 1, 2, 3, 4, 6
    assert total.median_hours_to_give_effect == 10.0  # 8, 10, 30


def test_report_of_an_empty_quarter(dataset):
    report = transparency_report(year=2025, quarter=1)
    assert report.rows == []
    assert report.total.received == 0
    assert report.total.median_hours_to_acknowledge is None


def test_report_query_count_does_not_grow_with_rows(legal, dataset, django_assert_num_queries):
    from django.db import connection

    with CaptureQueriesContext(connection) as first:
        transparency_report(year=2026, quarter=3)
    authority = make_authority(country="IT")
    for day in range(1, 6):
        made(legal, authority, datetime(2026, 9, day, tzinfo=UTC), ack=1, notices=[make_account()])
    with django_assert_num_queries(len(first.captured_queries)):
        transparency_report(year=2026, quarter=3)


def test_command_prints_csv(dataset):
    out = io.StringIO()
    call_command(
        "transparency_report", "--year", "2026", "--quarter", "3", "--format", "csv", stdout=out
    )

    rows = {row["country"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert list(rows) == ["DE", "FR", "US", "ALL"]
    fr = rows["FR"]
    assert (fr["received"], fr["fulfilled"], fr["partly_fulfilled"], fr["rejected"]) == (
        "3",
        "1",
        "1",
        "1",
    )
    assert (fr["accounts_requested"], fr["users_affected"]) == ("4", "2")
    assert (fr["category_ip_addresses"], fr["instrument_epoc"]) == ("3", "1")
    assert (fr["median_hours_to_acknowledge"], fr["median_hours_to_give_effect"]) == (
        "2.00",
        "20.00",
    )
    assert rows["DE"]["median_hours_to_give_effect"] == ""
    assert (rows["ALL"]["received"], rows["ALL"]["users_affected"]) == ("5", "3")


def test_command_prints_json(dataset):
    out = io.StringIO()
    call_command(
        "transparency_report", "--year", "2026", "--quarter", "3", "--format", "json", stdout=out
    )

    data = json.loads(out.getvalue())
    assert (data["year"], data["quarter"]) == (2026, 3)
    assert [c["country"] for c in data["countries"]] == ["DE", "FR", "US"]
    assert data["total"]["median_hours_to_give_effect"] == 10.0


@pytest.mark.parametrize(
    "args",
    [
        ["--year", "2026", "--quarter", "5"],
        ["--year", "2026", "--quarter", "0"],
        ["--year", "abc", "--quarter", "1"],
        ["--year", "1999", "--quarter", "1"],
        ["--year", "2026", "--quarter", "1", "--format", "xml"],
    ],
)
def test_command_refuses_a_bad_period(args):
    with pytest.raises(CommandError):
        call_command("transparency_report", *args, stdout=io.StringIO())


@pytest.mark.parametrize("role", ["legal", "approver", "auditor"])
def test_page_shows_chart_and_table(dataset, client_for, legal, approver, auditor, role):
    user = {"legal": legal, "approver": approver, "auditor": auditor}[role]

    response = client_for(user).get(
        reverse("disclosures:transparency"), {"year": 2026, "quarter": 3}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert 'class="bar bar-received"' in html
    assert "<script" not in html.split("<main", 1)[1]  # no chart library in the page body
    assert "cdn" not in html.lower()
    assert reverse("disclosures:transparency_export") + "?year=2026&amp;quarter=3" in html
    assert ">FR<" in html
    assert ">DE<" in html


def test_page_refuses_a_bad_quarter_with_a_form_error(client_for, legal):
    response = client_for(legal).get(
        reverse("disclosures:transparency"), {"year": 2026, "quarter": 9}
    )
    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors


def test_csv_download(dataset, client_for, auditor):
    response = client_for(auditor).get(
        reverse("disclosures:transparency_export"), {"year": 2026, "quarter": 3}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().splitlines()[0].startswith("country,received,fulfilled")


def test_moderators_cannot_see_the_report(moderator_client):
    assert moderator_client.get(reverse("disclosures:transparency")).status_code == 403
    url = reverse("disclosures:transparency_export") + "?year=2026&quarter=3"
    assert moderator_client.get(url).status_code == 403
