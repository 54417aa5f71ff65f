"""Request bodies are bounded before anything parses them (config.middleware)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.conf import settings as django_settings

from accounts.token_services import api_token_issue
from accounts.tokens import SCOPES
from api_core.http import MAX_BODY_BYTES
from config.middleware import BoundedStream, RequestBodyTooLarge
from disclosures.api import MAX_RECORDS
from moderation.api.schemas import MAX_BATCH
from moderation.models import Report
from tests.api.conftest import REPORTS_URL, ApiClient
from tests.api.payloads import report_json

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class EndlessBody(io.RawIOBase):
    """A request body that never ends (a chunked upload), counting what is read from it."""

    def __init__(self, prefix: bytes = b"", filler: bytes = b" ") -> None:
        super().__init__()
        self.prefix = prefix
        self.filler = filler
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            raise AssertionError("an endless body was read without a size")
        head, self.prefix = self.prefix[:size], self.prefix[size:]
        data = head + self.filler * (size - len(head))
        self.consumed += len(data)
        return data

    def readline(self, size: int | None = -1, /) -> bytes:
        return self.read(size)


class CountingBody(io.BytesIO):
    """A finite body that counts the bytes read from it."""

    consumed = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.consumed += len(data)
        return data

    def readline(self, size: int | None = -1, /) -> bytes:
        data = super().readline(size)
        self.consumed += len(data)
        return data


@pytest.fixture
def api(db) -> ApiClient:
    _, secret = api_token_issue(name="platform-limits", scopes=sorted(SCOPES))
    return ApiClient(secret)


def chunked(body: io.RawIOBase | io.BytesIO, content_type: str) -> dict[str, Any]:
    """The WSGI environ gunicorn gives a chunked request: no length, input terminated."""
    return {
        "wsgi.input": body,
        "CONTENT_TYPE": content_type,
        "wsgi.input_terminated": True,
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
    }


def post_json(api, url: str, body: bytes, **environ: Any):
    return api.client.generic(
        "POST",
        url,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
        **environ,
    )


def sized_report(size: int) -> dict[str, Any]:
    """A valid report whose JSON is about `size` bytes (the content text takes the rest)."""
    report = report_json()
    filler = size - len(json.dumps(report)) + len(report["subject"]["text"])
    report["subject"]["text"] = "x" * filler
    return report


# --- Settings and placement -----------------------------------------------------------------


def test_the_limit_runs_before_anything_that_reads_the_body():
    middleware = django_settings.MIDDLEWARE
    limit = middleware.index("config.middleware.RequestBodyLimitMiddleware")

    for reader in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "axes.middleware.AxesMiddleware",
    ):
        assert limit < middleware.index(reader), reader


def test_upload_limits_are_set_explicitly():
    assert django_settings.MAX_REQUEST_BODY_BYTES == 20 * MB
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 5 * MB
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    # An order document fits under the request limit, with room for the form's fields.
    assert django_settings.DOCUMENT_MAX_BYTES < django_settings.MAX_REQUEST_BODY_BYTES


# --- Declared length ------------------------------------------------------------------------


def test_a_body_one_byte_over_the_limit_is_refused_unread_and_nothing_is_stored(api, settings):
    body = json.dumps({"reports": [report_json() for _ in range(3)]}).encode()
    settings.MAX_REQUEST_BODY_BYTES = len(body) - 1
    stream = CountingBody(body)

    response = post_json(api, REPORTS_URL, body, **{"wsgi.input": stream})

    assert response.status_code == 413
    assert "split the batch" in response.json()["detail"]
    assert stream.consumed == 0
    assert not Report.objects.exists()


def test_a_body_exactly_at_the_limit_is_accepted(api, settings):
    body = json.dumps({"reports": [report_json() for _ in range(3)]}).encode()
    settings.MAX_REQUEST_BODY_BYTES = len(body)

    response = post_json(api, REPORTS_URL, body)

    assert response.status_code == 200, response.content
    assert Report.objects.count() == 3


def test_a_declared_200_mb_body_is_refused_without_reading_a_byte(client):
    stream = EndlessBody()

    response = client.generic(
        "POST",
        "/accounts/login/",
        data=b"",
        content_type="application/x-www-form-urlencoded",
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(200 * MB)},
    )

    assert response.status_code == 413
    assert stream.consumed == 0
    body = response.content.decode()
    assert "The request is too large" in body
    assert "20 MB" in body
    assert "Traceback" not in body


def test_a_content_length_that_is_not_a_number_is_a_bad_request(client):
    response = client.generic("POST", "/accounts/login/", data=b"x", **{"CONTENT_LENGTH": "-5"})

    assert response.status_code == 400


# --- No declared length (chunked transfer) -------------------------------------------------


def test_a_chunked_json_body_is_cut_at_the_limit_and_nothing_is_stored(api):
    stream = EndlessBody(prefix=b'{"reports": [')

    response = post_json(api, REPORTS_URL, b"", **chunked(stream, "application/json"))

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    # A JSON body is held in memory whole: without a length it gets the in-memory limit.
    assert 0 < stream.consumed <= django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    assert not Report.objects.exists()


def test_a_chunked_form_body_is_refused_with_a_plain_page_even_in_debug(client, settings):
    settings.DEBUG = True
    stream = EndlessBody(prefix=b"username=a&password=", filler=b"x")

    response = client.generic(
        "POST",
        "/accounts/login/",
        **chunked(stream, "application/x-www-form-urlencoded"),
    )

    assert response.status_code == 413
    body = response.content.decode()
    assert "The request is too large" in body
    assert "Traceback" not in body
    assert "RequestBodyTooLarge" not in body
    assert 0 < stream.consumed <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


def test_a_small_chunked_json_body_is_read_to_its_end(api):
    body = json.dumps(report_json()).encode()

    response = post_json(api, REPORTS_URL, b"", **chunked(CountingBody(body), "application/json"))

    assert response.status_code == 201, response.content
    assert Report.objects.count() == 1


def test_bounded_stream_raises_one_byte_past_the_limit_and_says_so():
    seen: list[int] = []
    stream = BoundedStream(io.BytesIO(b"a" * 11), 10, seen.append)

    assert stream.read(4) == b"aaaa"
    assert stream.read(6) == b"aaaaaa"
    with pytest.raises(RequestBodyTooLarge):
        stream.read()
    assert seen == [10]


def test_bounded_stream_passes_seeking_through_for_asgi_bodies():
    stream = BoundedStream(io.BytesIO(b"abcdef"), 10, lambda limit: None)

    assert stream.seekable()
    assert stream.seek(0, io.SEEK_END) == 6
    stream.seek(0)
    assert stream.read() == b"abcdef"


# --- The largest legitimate batches still pass ----------------------------------------------


def test_a_full_report_batch_at_the_apis_own_limit_is_accepted(api):
    """
    500 reports filling the API's 5 MB body limit (its contract: a bigger batch is split)
    pass the request limit, which stays four times above it.
    """
    per_report = (MAX_BODY_BYTES - 2048) // MAX_BATCH
    body = json.dumps({"reports": [sized_report(per_report) for _ in range(MAX_BATCH)]})
    size = len(body.encode())
    assert MAX_BODY_BYTES - 64 * 1024 < size <= MAX_BODY_BYTES

    response = post_json(api, REPORTS_URL, body.encode())

    assert response.status_code == 200, response.content[:500]
    assert [r["status"] for r in response.json()["results"]] == ["created"] * MAX_BATCH
    assert Report.objects.count() == MAX_BATCH
    assert size * 4 <= django_settings.MAX_REQUEST_BODY_BYTES


def test_a_batch_over_the_apis_limit_gets_the_apis_own_answer(api):
    """Between 5 MB and the request limit, the API answers itself (JSON, 'split the batch')."""
    body = json.dumps({"reports": [sized_report(12_000) for _ in range(MAX_BATCH)]}).encode()
    assert MAX_BODY_BYTES < len(body) < django_settings.MAX_REQUEST_BODY_BYTES

    response = post_json(api, REPORTS_URL, body)

    assert response.status_code == 413
    assert f"larger than {MAX_BODY_BYTES} bytes" in response.json()["detail"]
    assert not Report.objects.exists()


def test_the_largest_subscriber_data_batch_is_far_under_every_limit():
    """5000 records with every field at its longest: about 1.2 MB."""
    record = {
        "account_id": "a" * 64,
        "phone": "+44 7700 900 123 4567",
        "ip": "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "port": 65535,
        "seen_at": "2026-10-05T12:00:00.000000+01:00",
    }
    size = len(json.dumps({"records": [record] * MAX_RECORDS}).encode())

    assert size * 4 < MAX_BODY_BYTES
    assert size * 4 < django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert size * 16 < django_settings.MAX_REQUEST_BODY_BYTES
