"""The quarterly transparency report on a known data set: numbers, medians, CSV, page."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from disclosures.models import LegalRequest, PreservationHold, UserNotice
from disclosures.selectors.transparency import transparency_report
from moderation.models import PlatformAccount
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


# --- Per authority, per offence category, no records found, preservation orders ---------------

Q1_2027 = datetime(2027, 1, 10, tzinfo=UTC)


def hold(
    legal_request: LegalRequest, account: PlatformAccount, by: User, **fields: Any
) -> PreservationHold:
    defaults = {
        "categories": ["ip_addresses"],
        "date_from": datetime(2026, 10, 1, tzinfo=UTC),
        "date_to": datetime(2026, 12, 1, tzinfo=UTC),
        "expires_at": legal_request.received_at + timedelta(days=60),
    }
    defaults.update(fields)
    return PreservationHold.objects.create(
        request=legal_request, account=account, placed_by=by, **defaults
    )


@pytest.fixture
def breakdown(legal):
    """
    Q1 2027. Production: Paris 2 (fulfilled, no records), Lyon 2 (partly, rejected), Berlin 1
    (withdrawn). Preservation: Paris EPOC-PR (holds on a and c, one extended), SDNY §2703(f)
    (hold on a, released), Berlin EPOC-PR rejected. One Paris request in Q4 2026.
    """
    paris = make_authority(name="Tribunal judiciaire de Paris", country="FR")
    lyon = make_authority(name="Parquet de Lyon", country="FR")
    berlin = make_authority(name="Staatsanwaltschaft Berlin", country="DE")
    sdny = make_authority(name="US Attorney SDNY", country="US")
    a, b, c = make_account(), make_account(), make_account()
    day = timedelta(days=1)

    def production(authority, offence, n, **fields):
        return made(legal, authority, Q1_2027 + n * day, offence_category=offence, **fields)

    production(
        paris,
        "illegal_drugs",
        0,
        accounts=[a, b],
        notices=[a, b],
        status=Status.RELEASED,
        outcome=Outcome.FULFILLED,
    )
    production(
        paris, "terrorism", 1, accounts=[c], status=Status.CLOSED, outcome=Outcome.NO_RECORDS
    )
    production(
        lyon,
        "illegal_drugs",
        2,
        accounts=[a],
        notices=[a],
        status=Status.RELEASED,
        outcome=Outcome.PARTLY,
    )
    production(lyon, "terrorism", 3, accounts=[b], status=Status.REJECTED, outcome=Outcome.REJECTED)
    production(berlin, "hate_speech", 4, status=Status.WITHDRAWN, outcome=Outcome.WITHDRAWN)

    held = production(
        paris,
        "terrorism",
        5,
        accounts=[a, c],
        instrument=Instrument.EPOC_PR,
        status=Status.PRESERVING,
        outcome=Outcome.PRESERVED,
    )
    hold(held, a, legal, extensions=1)
    hold(held, c, legal)
    us = production(
        sdny,
        "illegal_drugs",
        6,
        accounts=[a],
        instrument=Instrument.US_2703F,
        status=Status.CLOSED,
        outcome=Outcome.PRESERVED,
    )
    hold(us, a, legal, released_at=Q1_2027 + 30 * day, released_by=legal, release_reason="expired")
    production(
        berlin,
        "hate_speech",
        7,
        instrument=Instrument.EPOC_PR,
        status=Status.REJECTED,
        outcome=Outcome.REJECTED,
    )
    made(
        legal,
        paris,
        datetime(2026, 12, 31, tzinfo=UTC),
        offence_category="weapons",
        outcome=Outcome.FULFILLED,
        status=Status.RELEASED,
    )
    return {"paris": paris, "lyon": lyon, "berlin": berlin, "sdny": sdny}


def figures(row, *names):
    return tuple(getattr(row, n) for n in names)


TALLY = (
    "received",
    "fulfilled",
    "partly_fulfilled",
    "no_records",
    "rejected",
    "withdrawn",
    "accounts_requested",
    "users_affected",
    "preservation_orders",
)


def test_report_breaks_down_per_authority(breakdown):
    report = transparency_report(year=2027, quarter=1)

    rows = {r.authority: r for r in report.authorities}
    assert [r.authority for r in report.authorities] == [
        "Staatsanwaltschaft Berlin",
        "Parquet de Lyon",
        "Tribunal judiciaire de Paris",
        "US Attorney SDNY",
    ]
    paris = rows["Tribunal judiciaire de Paris"]
    assert (paris.authority_id, paris.country) == (breakdown["paris"].pk, "FR")
    assert figures(paris, *TALLY) == (2, 1, 0, 1, 0, 0, 3, 2, 1)
    assert figures(rows["Parquet de Lyon"], *TALLY) == (2, 0, 1, 0, 1, 0, 2, 1, 0)
    assert figures(rows["Staatsanwaltschaft Berlin"], *TALLY) == (1, 0, 0, 0, 0, 1, 1, 0, 1)
    assert figures(rows["US Attorney SDNY"], *TALLY) == (0, 0, 0, 0, 0, 0, 0, 0, 1)
    # Users a and b were in Paris's and Lyon's requests: two users, not three.
    assert figures(report.breakdown_total, *TALLY) == (5, 1, 1, 1, 1, 1, 6, 2, 3)


def test_report_breaks_down_per_offence_category(breakdown):
    report = transparency_report(year=2027, quarter=1)

    rows = {r.code: r for r in report.categories}
    assert list(rows) == ["hate_speech", "illegal_drugs", "terrorism"]
    drugs = rows["illegal_drugs"]
    assert (drugs.name, drugs.dsa_category) == (
        "Illegal drugs",
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    )
    assert figures(drugs, *TALLY) == (2, 1, 1, 0, 0, 0, 3, 2, 1)
    assert figures(rows["terrorism"], *TALLY) == (2, 0, 0, 1, 1, 0, 2, 0, 1)
    assert figures(rows["hate_speech"], *TALLY) == (1, 0, 0, 0, 0, 1, 1, 0, 1)
    assert rows["terrorism"].dsa_category == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"


def test_a_category_code_no_longer_known_is_kept_by_its_code(legal):
    made(legal, make_authority(), Q1_2027, offence_category="retired_code", violation_cases=False)

    (row,) = transparency_report(year=2027, quarter=1).categories

    assert (row.code, row.name, row.dsa_category, row.received) == ("retired_code", "", "", 1)


def test_no_records_found_is_its_own_figure(breakdown):
    report = transparency_report(year=2027, quarter=1)

    fr = {r.country: r for r in report.rows}["FR"]
    assert figures(fr, "received", "fulfilled", "partly_fulfilled", "no_records", "rejected") == (
        4,
        1,
        1,
        1,
        1,
    )
    assert fr.disclosed == 2  # no records found is not a disclosure
    assert report.total.no_records == 1


def test_preservation_orders_are_counted_apart_from_production(breakdown):
    report = transparency_report(year=2027, quarter=1)

    # Production figures hold no preservation order, and none counts as fulfilled.
    assert [r.country for r in report.rows] == ["DE", "FR"]
    assert figures(report.total, "received", "fulfilled", "rejected") == (5, 1, 1)
    assert report.total.accounts_requested == 6
    assert set(report.total.by_instrument).isdisjoint({"epoc_pr", "us_2703f"})

    columns = (
        "received",
        "rejected",
        "withdrawn",
        "holds_placed",
        "accounts_held",
        "holds_extended",
        "holds_released",
    )
    rows = {r.country: r for r in report.preservation}
    assert list(rows) == ["DE", "FR", "US"]
    assert figures(rows["DE"], *columns) == (1, 1, 0, 0, 0, 0, 0)
    assert figures(rows["FR"], *columns) == (1, 0, 0, 2, 2, 1, 0)
    assert figures(rows["US"], *columns) == (1, 0, 0, 1, 1, 0, 1)
    assert rows["FR"].by_instrument == {"epoc_pr": 1, "us_2703f": 0}
    assert rows["US"].by_instrument == {"epoc_pr": 0, "us_2703f": 1}
    # Account a is held for France and for the US: one account held.
    assert figures(report.preservation_total, *columns) == (3, 1, 0, 3, 2, 1, 1)


def test_command_prints_each_breakdown_as_csv(breakdown):
    def table(name):
        out = io.StringIO()
        call_command(
            "transparency_report",
            "--year",
            "2027",
            "--quarter",
            "1",
            "--table",
            name,
            stdout=out,
        )
        return list(csv.DictReader(io.StringIO(out.getvalue())))

    authorities = {r["authority"]: r for r in table("authorities")}
    paris = authorities["Tribunal judiciaire de Paris"]
    assert (paris["authority_id"], paris["country"]) == (str(breakdown["paris"].pk), "FR")
    assert [paris[k] for k in TALLY] == ["2", "1", "0", "1", "0", "0", "3", "2", "1"]
    assert [authorities["ALL"][k] for k in TALLY] == ["5", "1", "1", "1", "1", "1", "6", "2", "3"]

    categories = {r["category"]: r for r in table("categories")}
    assert list(categories) == ["hate_speech", "illegal_drugs", "terrorism", "ALL"]
    terrorism = categories["terrorism"]
    assert (terrorism["category_name"], terrorism["no_records"], terrorism["rejected"]) == (
        "Terrorism and violent extremism",
        "1",
        "1",
    )
    assert terrorism["dsa_category"] == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"

    preservation = {r["country"]: r for r in table("preservation")}
    assert list(preservation) == ["DE", "FR", "US", "ALL"]
    assert (preservation["FR"]["holds_placed"], preservation["FR"]["holds_extended"]) == ("2", "1")
    assert (preservation["ALL"]["accounts_held"], preservation["US"]["instrument_us_2703f"]) == (
        "2",
        "1",
    )

    countries = {r["country"]: r for r in table("countries")}
    assert (countries["FR"]["no_records"], countries["ALL"]["received"]) == ("1", "5")
    assert "instrument_epoc_pr" not in countries["FR"]


def test_command_prints_the_breakdowns_in_json(breakdown):
    out = io.StringIO()
    call_command(
        "transparency_report", "--year", "2027", "--quarter", "1", "--format", "json", stdout=out
    )

    data = json.loads(out.getvalue())
    paris = next(a for a in data["authorities"] if a["authority"] == "Tribunal judiciaire de Paris")
    assert (paris["country"], paris["received"], paris["no_records"]) == ("FR", 2, 1)
    assert paris["preservation_orders"] == 1
    drugs = next(c for c in data["categories"] if c["code"] == "illegal_drugs")
    assert (drugs["name"], drugs["fulfilled"], drugs["partly_fulfilled"]) == ("Illegal drugs", 1, 1)
    assert data["total"]["no_records"] == 1
    assert [r["country"] for r in data["preservation"]["countries"]] == ["DE", "FR", "US"]
    assert data["preservation"]["total"]["accounts_held"] == 2
    assert data["preservation"]["total"]["by_instrument"] == {"epoc_pr": 2, "us_2703f": 1}


def test_command_refuses_an_unknown_table():
    with pytest.raises(CommandError):
        call_command(
            "transparency_report",
            "--year",
            "2027",
            "--quarter",
            "1",
            "--table",
            "users",
            stdout=io.StringIO(),
        )


def test_csv_keeps_a_formula_like_authority_name_inert(legal):
    made(legal, make_authority(name="=HYPERLINK(1)", country="FR"), Q1_2027)

    text = transparency_report(year=2027, quarter=1).as_csv("authorities")

    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["country"] == "FR")
    assert row["authority"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    ("query", "filename", "first"),
    [
        ({}, "transparency-2027-Q1.csv", "country,received,fulfilled,partly_fulfilled,no_records"),
        (
            {"table": "authorities"},
            "transparency-2027-Q1-authorities.csv",
            "authority_id,authority",
        ),
        ({"table": "categories"}, "transparency-2027-Q1-categories.csv", "category,category_name"),
        ({"table": "preservation"}, "transparency-2027-Q1-preservation.csv", "country,received"),
    ],
)
def test_csv_download_of_each_table(breakdown, client_for, auditor, query, filename, first):
    response = client_for(auditor).get(
        reverse("disclosures:transparency_export"), {"year": 2027, "quarter": 1, **query}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert filename in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].startswith(first)
    assert lines[-1].split(",")[:1] in (["ALL"], [""])  # the total row comes last


def test_json_download_holds_every_breakdown(breakdown, client_for, auditor):
    response = client_for(auditor).get(
        reverse("disclosures:transparency_export"), {"year": 2027, "quarter": 1, "format": "json"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "transparency-2027-Q1.json" in response["Content-Disposition"]
    data = response.json()
    assert {a["authority"] for a in data["authorities"]} >= {"Parquet de Lyon", "US Attorney SDNY"}
    assert {c["code"] for c in data["categories"]} == {"hate_speech", "illegal_drugs", "terrorism"}
    assert data["preservation"]["total"]["holds_placed"] == 3


def test_export_with_an_unknown_table_goes_back_to_the_form(client_for, auditor):
    response = client_for(auditor).get(
        reverse("disclosures:transparency_export"), {"year": 2027, "quarter": 1, "table": "x"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("disclosures:transparency"))


def test_page_shows_the_breakdowns(breakdown, client_for, auditor):
    response = client_for(auditor).get(
        reverse("disclosures:transparency"), {"year": 2027, "quarter": 1}
    )

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Per authority",
        "Tribunal judiciaire de Paris",
        "US Attorney SDNY",
        "Per offence category",
        "Terrorism and violent extremism",
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "No records found",
        "Preservation orders",
        "Holds placed",
        'class="bar bar-no-records"',
        "table=authorities",
        "format=json",
    ):
        assert text in html, text


def test_page_query_count_does_not_grow_with_authorities_or_categories(
    legal, breakdown, client_for, auditor, django_assert_num_queries
):
    from django.db import connection

    client = client_for(auditor)
    url = reverse("disclosures:transparency")
    params = {"year": 2027, "quarter": 1}
    client.get(url, params)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as first:
        assert client.get(url, params).status_code == 200
    for n, offence in enumerate(("weapons", "scams_fraud", "doxxing")):
        authority = make_authority(country=("IT", "ES", "PL")[n])
        account = make_account()
        made(
            legal,
            authority,
            Q1_2027 + timedelta(hours=n),
            offence_category=offence,
            accounts=[account],
            notices=[account],
            outcome=Outcome.FULFILLED,
        )
        preserved = made(
            legal,
            authority,
            Q1_2027 + timedelta(hours=n, minutes=1),
            offence_category=offence,
            instrument=Instrument.EPOC_PR,
            status=Status.PRESERVING,
            accounts=[account],
        )
        hold(preserved, account, legal)
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url, params).status_code == 200
