from __future__ import annotations

import pytest
from django.test import Client

from accounts.token_services import api_token_revoke
from accounts.tokens import ApiToken
from moderation.models import Report
from tests.api.conftest import APPEALS_URL, REPORTS_URL, STATEMENTS_URL, ApiClient
from tests.api.payloads import report_json

pytestmark = pytest.mark.django_db

# Every endpoint, the method it answers and the scope it needs.
ENDPOINTS = [
    ("post", REPORTS_URL, "reports"),
    ("get", STATEMENTS_URL, "statements"),
    ("post", APPEALS_URL, "appeals"),
    ("get", "/api/v1/search-policy", "search_policy"),
    ("get", "/api/v1/search-policy/public-key", "search_policy"),
]
ids = [url for _, url, _ in ENDPOINTS]


def call(client: ApiClient, method: str, url: str):
    return client.post(url, report_json()) if method == "post" else client.get(url)


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "url", "scope"), ENDPOINTS, ids=ids)
@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Bearer garbage", "Basic dXNlcjpwYXNz", "tsd_0123abcd_x"],
)
def test_without_a_valid_token_every_endpoint_answers_401(method, url, scope, header):
    client = Client()
    headers = {"Authorization": header} if header is not None else {}

    if method == "post":
        response = client.post(url, "{}", content_type="application/json", headers=headers)
    else:
        response = client.get(url, headers=headers)

    assert_401(response)


@pytest.mark.parametrize(("method", "url", "scope"), ENDPOINTS, ids=ids)
def test_a_revoked_token_answers_401(method, url, scope, issue_token, administrator):
    client = ApiClient(issue_token(scope))
    api_token_revoke(token=ApiToken.objects.get(), actor=administrator)

    assert_401(call(client, method, url))


@pytest.mark.parametrize(("method", "url", "scope"), ENDPOINTS, ids=ids)
def test_a_token_without_the_scope_answers_403(method, url, scope, make_api_client):
    others = sorted({"reports", "statements", "appeals", "subscriber_data"} - {scope})
    client = make_api_client(*others)

    response = call(client, method, url)

    assert response.status_code == 403
    assert scope in response.json()["detail"]
    assert not Report.objects.exists()


@pytest.mark.parametrize(("method", "url", "scope"), ENDPOINTS, ids=ids)
def test_a_token_with_only_the_scope_gets_past_authorisation(method, url, scope, make_api_client):
    response = call(make_api_client(scope), method, url)

    assert response.status_code not in {401, 403}


def test_api_posts_need_no_csrf_token(issue_token):
    client = Client(enforce_csrf_checks=True)
    headers = {"Authorization": f"Bearer {issue_token('reports')}"}

    response = client.post(
        REPORTS_URL, report_json(), content_type="application/json", headers=headers
    )

    assert response.status_code == 201


def test_a_dashboard_session_does_not_authenticate_the_api(moderator_client):
    response = moderator_client.post(REPORTS_URL, report_json(), content_type="application/json")

    assert_401(response)
    assert not Report.objects.exists()


def test_authentication_comes_before_the_body_is_read(client):
    response = client.post(REPORTS_URL, "{not json", content_type="application/json")

    assert_401(response)


def test_openapi_schema_is_public_and_describes_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "1"
    assert schema["components"]["securitySchemes"] == {
        "ApiTokenAuth": {"type": "http", "scheme": "bearer"}
    }
    operations = {
        (path, method): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    # The subscriber-data and media endpoints are described in tests/api/test_subscriber_data_api.py
    # and tests/api/test_media_api.py.
    subscriber_data = ("/api/v1/subscriber-data", "post")
    media = {("/api/v1/media", "post"), ("/api/v1/media/{sha256}", "get")}
    assert set(operations) == {(url, method) for method, url, _ in ENDPOINTS} | {
        subscriber_data,
        *media,
    }
    assert operations[subscriber_data]["security"] == [{"ApiTokenAuth": ["subscriber_data"]}]
    for method, url, scope in ENDPOINTS:
        operation = operations[(url, method)]
        assert operation["security"] == [{"ApiTokenAuth": [scope]}]
        codes = set(operation["responses"])
        assert {"200", "401", "403"} <= codes
        if method == "post" or operation.get("parameters"):
            assert "422" in codes  # whatever takes input says how bad input is answered
        if method == "post":
            assert {"201", "400", "413"} <= codes
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            refs = [r["$ref"] for r in body.get("oneOf", [body])]
            for ref in refs:
                assert ref.removeprefix("#/components/schemas/") in schema["components"]["schemas"]
    report = schema["components"]["schemas"]["ReportIn"]
    assert report["additionalProperties"] is False
    assert set(report["required"]) >= {"external_id", "category", "source", "subject"}
    assert (
        schema["components"]["schemas"]["ReportBatchIn"]["properties"]["reports"]["maxItems"] == 500
    )


def test_no_swagger_ui_is_served(client):
    assert client.get("/api/v1/docs").status_code == 404
