"""POST /api/v1/media and GET /api/v1/media/{sha256}: raw bytes in, facts out."""

from __future__ import annotations

import hashlib
import io
from functools import cache

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from moderation import media_storage
from moderation.models import Media
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

MEDIA_URL = "/api/v1/media"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


def jpeg(size: tuple[int, int] = (320, 240)) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(out, format="JPEG")
    return out.getvalue()


@cache
def large_jpeg() -> bytes:
    """About 6 MB: past Django's in-memory body limit (5 MB), within the image limit."""
    noise = np.random.default_rng(7).integers(0, 256, (1000, 1500, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, format="JPEG", quality=100, subsampling=0)
    return out.getvalue()


def upload(client: ApiClient, data: bytes, content_type: str = "application/octet-stream"):
    return client.post(MEDIA_URL, data, raw=True, content_type=content_type)


@pytest.fixture
def media_api(make_api_client) -> ApiClient:
    return make_api_client("media")


def test_upload_answers_201_with_the_facts_then_200(media_api):
    data = jpeg()

    first = upload(media_api, data)
    again = upload(media_api, data)

    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert body["created"] is True
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324 (a content hash)
    assert len(body["pdq"]) == 64
    assert 0 <= body["pdq_quality"] <= 100
    assert {k: body[k] for k in ("kind", "mime", "size", "width", "height")} == {
        "kind": "image",
        "mime": "image/jpeg",
        "size": len(data),
        "width": 320,
        "height": 240,
    }
    assert body["purged_at"] is None
    assert again.json() == {**body, "created": False}
    assert Media.objects.count() == 1


def test_the_type_comes_from_the_bytes_not_the_header(media_api):
    response = upload(media_api, jpeg(), content_type="image/png")

    assert response.status_code == 201
    assert response.json()["mime"] == "image/jpeg"


def test_a_video_is_accepted_without_pdq(media_api):
    video = b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00\x00\x00\x00\x10mdat" + b"\x00" * 8

    response = upload(media_api, video, content_type="video/mp4")

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["mime"], body["pdq"], body["pdq_quality"]) == (
        "video",
        "video/mp4",
        None,
        None,
    )


def test_a_body_past_djangos_in_memory_limit_is_read(media_api, settings):
    data = large_jpeg()
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(data) < settings.MEDIA_MAX_BYTES["image"]

    response = upload(media_api, data, content_type="image/jpeg")

    assert response.status_code == 201
    assert response.json()["size"] == len(data)


def assert_refused(response, status: int, *words: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    for word in words:
        assert word in detail
    assert not Media.objects.exists()


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"plain text, not a picture", "text"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "application/pdf"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
    ],
    ids=["text", "pdf", "svg"],
)
def test_other_types_are_415_naming_what_was_detected(media_api, data, detected):
    assert_refused(upload(media_api, data), 415, f"detected: {detected}")


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_raw_bytes_is_415(media_api, content_type):
    assert_refused(upload(media_api, jpeg(), content_type=content_type), 415, "raw bytes")


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, jpeg()[:300]],
    ids=["empty", "fake-jpeg", "truncated"],
)
def test_an_empty_or_undecodable_body_is_400(media_api, data):
    assert_refused(upload(media_api, data), 400)


def test_a_file_past_its_kinds_limit_is_413_with_the_limit(media_api, settings):
    settings.MEDIA_MAX_BYTES = {"image": 1500, "video": 100_000}
    data = jpeg()
    assert 1500 < len(data) < 100_000

    assert_refused(upload(media_api, data), 413, "limit for images is 1500 bytes")


def test_a_declared_length_past_every_limit_is_413_before_reading(media_api, settings):
    settings.MEDIA_MAX_BYTES = {"image": 1000, "video": 2000}

    assert_refused(upload(media_api, b"\x00" * 2001), 413, "images 1000 bytes, videos 2000 bytes")


def test_a_video_past_the_length_limit_is_413(media_api, settings):
    from tests.moderation.media_samples import mp4_lasting

    settings.MEDIA_MAX_VIDEO_SECONDS = 60

    assert_refused(upload(media_api, mp4_lasting(61)), 413, "the limit is 60 seconds")


def test_a_decompression_bomb_is_413(media_api, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)

    assert_refused(upload(media_api, jpeg((400, 400))), 413, "decompression bomb")


def test_without_a_token_401_and_without_the_media_scope_403(make_api_client):
    anonymous = Client().post(MEDIA_URL, jpeg(), content_type="application/octet-stream")
    assert anonymous.status_code == 401

    other_scopes = make_api_client("reports", "statements", "appeals", "subscriber_data")
    assert_refused(upload(other_scopes, jpeg()), 403, "'media' scope")
    assert other_scopes.get(f"{MEDIA_URL}/{'a' * 64}").status_code == 403


# --- GET /api/v1/media/{sha256} -----------------------------------------------------------------


def test_get_answers_the_facts_of_received_media(media_api):
    created = upload(media_api, jpeg()).json()

    response = media_api.get(f"{MEDIA_URL}/{created['sha256'].upper()}")

    assert response.status_code == 200
    assert response.json() == {k: v for k, v in created.items() if k != "created"}


def test_get_of_purged_media_still_answers_its_hashes(media_api):
    sha256 = upload(media_api, jpeg()).json()["sha256"]
    media_storage.media_delete(sha256)
    Media.objects.filter(sha256=sha256).update(purged_at=timezone.now())

    body = media_api.get(f"{MEDIA_URL}/{sha256}").json()

    assert body["purged_at"] is not None
    assert body["pdq"]


def test_get_of_unknown_media_is_404_and_of_a_malformed_hash_422(media_api):
    unknown = media_api.get(f"{MEDIA_URL}/{'0' * 64}")
    assert unknown.status_code == 404
    assert unknown.json()["detail"]

    for malformed in ("abc", "g" * 64, "a" * 65):
        response = media_api.get(f"{MEDIA_URL}/{malformed}")
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "sha256", "message": "Use 64 hexadecimal characters (a SHA-256)."}
        ]


# --- The OpenAPI document -----------------------------------------------------------------------


def test_the_openapi_document_describes_both_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()

    upload_op = document["paths"]["/api/v1/media"]["post"]
    body = upload_op["requestBody"]["content"]
    assert body["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}
    assert {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"} <= set(body)
    assert upload_op["security"] == [{"ApiTokenAuth": ["media"]}]
    assert {"200", "201", "400", "401", "403", "413", "415"} <= set(upload_op["responses"])

    detail_op = document["paths"]["/api/v1/media/{sha256}"]["get"]
    assert detail_op["security"] == [{"ApiTokenAuth": ["media"]}]
    assert {"200", "401", "403", "404", "422"} <= set(detail_op["responses"])
    assert [p["name"] for p in detail_op["parameters"]] == ["sha256"]
