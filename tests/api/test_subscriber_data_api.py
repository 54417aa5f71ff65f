from __future__ import annotations

from typing import Any

import pytest

from accounts.tokens import Scope
from audit.models import AuditEvent
from disclosures import crypto
from disclosures.models import SubscriberIp, SubscriberPhone
from moderation.models import PlatformAccount
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

URL = "/api/v1/subscriber-data"


@pytest.fixture
def feeder(make_api_client) -> ApiClient:
    return make_api_client(Scope.SUBSCRIBER_DATA)


def record(**overrides: Any) -> dict[str, Any]:
    body = {
        "account_id": "acct-api-1",
        "phone": "+33 6 12 34 56 78",
        "ip": "203.0.113.7",
        "port": 443,
        "seen_at": "2026-10-05T12:00:00Z",
    }
    body.update(overrides)
    return body


def nothing_stored() -> bool:
    return not (
        PlatformAccount.objects.exists()
        or SubscriberPhone.objects.exists()
        or SubscriberIp.objects.exists()
        or AuditEvent.objects.filter(action="subscriber_data.imported").exists()
    )


def test_subscriber_data_is_imported_with_counts(feeder):
    response = feeder.post(
        URL,
        {
            "records": [
                record(),
                record(
                    phone=None, ip="2001:DB8::1", port=None, seen_at="2026-10-05T13:00:00+02:00"
                ),
                {"account_id": "acct-api-2", "phone": "+1 650-253-0000"},
            ]
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "rows": 3,
        "accounts_created": 2,
        "phones_created": 2,
        "phones_updated": 0,
        "phones_unchanged": 0,
        "ip_records_created": 2,
        "ip_records_duplicate": 0,
    }
    assert SubscriberIp.objects.filter(
        ip_index=crypto.blind_index("2001:db8::1", kind="ip")
    ).exists()
    event = AuditEvent.objects.get(action="subscriber_data.imported")
    assert event.data["source"].startswith("api:platform-")
    assert "203.0.113.7" not in str(event.data)


def test_sending_the_same_records_again_creates_nothing(feeder):
    body = {"records": [record(), record(port=None)]}
    feeder.post(URL, body)

    again = feeder.post(URL, body)

    assert again.status_code == 200
    counts = again.json()
    assert (counts["ip_records_created"], counts["ip_records_duplicate"]) == (0, 2)
    assert (counts["accounts_created"], counts["phones_unchanged"]) == (0, 1)
    assert SubscriberIp.objects.count() == 2


def test_without_a_token_the_answer_is_401(client):
    response = ApiClient(None).post(URL, {"records": [record()]})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert nothing_stored()


@pytest.mark.parametrize(
    "scopes", [(Scope.REPORTS,), (Scope.REPORTS, Scope.APPEALS, Scope.STATEMENTS)]
)
def test_a_token_without_the_subscriber_data_scope_gets_403(make_api_client, scopes):
    response = make_api_client(*scopes).post(URL, {"records": [record()]})

    assert response.status_code == 403
    assert "subscriber_data" in response.json()["detail"]
    assert nothing_stored()


def test_bad_records_are_a_422_listing_every_problem_and_nothing_is_stored(feeder):
    response = feeder.post(
        URL,
        {
            "records": [
                record(),
                record(account_id="acct-api-2", phone="06 12 34 56 78"),
                record(account_id="acct-api-3", ip="10.0.0.256", port=70000),
                record(account_id="acct-api-4", seen_at=None),
                "not an object",
                record(account_id="acct-api-6", email="x@example.com"),
            ]
        },
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "phone"),
        (2, "ip"),
        (2, "port"),
        (3, "seen_at"),
        (4, ""),
        (5, "email"),
    ]
    assert all(e["message"] for e in errors)
    assert "nothing was stored" in response.json()["detail"]
    assert nothing_stored()


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"port": "443"}, None),  # text is accepted where the CSV gives text
        ({"port": 1.5}, "port"),
        ({"port": True}, "port"),
        ({"phone": 33612345678}, "phone"),
        ({"seen_at": "2026-10-05T12:00:00"}, "seen_at"),
        ({"account_id": ""}, "account_id"),
        ({"account_id": None}, "account_id"),
    ],
)
def test_values_of_the_wrong_type_are_refused(feeder, value, field):
    response = feeder.post(URL, {"records": [record(**value)]})

    if field is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"records": []}, "records"),
        ({"records": "nope"}, "records"),
        ({}, "records"),
        ({"records": [record()], "extra": 1}, "extra"),
        ([record()], ""),
    ],
)
def test_a_badly_shaped_body_is_a_422(feeder, body, field):
    response = feeder.post(URL, body)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert nothing_stored()


def test_more_than_5000_records_are_refused(feeder):
    response = feeder.post(URL, {"records": [record()] * 5001})

    assert response.status_code == 422
    assert "5001 records" in response.json()["errors"][0]["message"]
    assert nothing_stored()


def test_5000_records_are_accepted(feeder):
    records = [
        record(account_id=f"acct-{i % 100}", phone=None, ip=f"10.0.{i // 256}.{i % 256}")
        for i in range(5000)
    ]

    response = feeder.post(URL, {"records": records})

    assert response.status_code == 200, response.json()
    assert response.json()["ip_records_created"] == 5000


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ('{"records": [', "application/json"),
        ("records=1", "application/json"),
        ('{"records": [NaN]}', "application/json"),
        ('{"records": []}', "text/plain"),
    ],
)
def test_malformed_json_is_a_400(feeder, raw, content_type):
    response = feeder.post(URL, raw, raw=True, content_type=content_type)

    assert response.status_code == 400
    assert "detail" in response.json()
    assert nothing_stored()


def test_the_endpoint_is_described_in_the_openapi_schema_with_its_scope(client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"][URL]["post"]
    assert operation["security"] == [{"ApiTokenAuth": ["subscriber_data"]}]
    assert {"200", "400", "401", "403", "413", "422"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["records"]["maxItems"] == 5000
    assert body["properties"]["records"]["items"]["additionalProperties"] is False
