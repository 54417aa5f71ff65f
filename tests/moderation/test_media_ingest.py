"""Media intake: type from the bytes, limits, hashes, encrypted storage, clean renditions."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import ExifTags, Image, ImageChops, ImageCms
from PIL.PngImagePlugin import PngInfo

from audit.models import AuditEvent
from moderation import media_storage
from moderation.exceptions import (
    MediaEmpty,
    MediaTooLarge,
    MediaTooLong,
    MediaTooManyPixels,
    MediaTypeRefused,
    MediaUndecodable,
)
from moderation.models import Media
from moderation.services import media as media_services
from moderation.services.media import media_ingest
from tests.moderation.media_samples import mp4_lasting
from tests.utils import race, race_errors, requires_postgres

pytestmark = pytest.mark.django_db

MARKER = b"MARKER-7f3a-plaintext-evidence"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path) -> Path:
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


# --- Test files ---------------------------------------------------------------------------------


def picture(size: tuple[int, int] = (64, 48), *, mode: str = "RGB") -> Image.Image:
    """A picture with some structure (PDQ of a flat colour is meaningless)."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    return image


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (64, 48), **params) -> bytes:
    return encoded(picture(size), "JPEG", **params)


def png_with_marker() -> bytes:
    info = PngInfo()
    info.add_text("Comment", MARKER.decode())
    return encoded(picture(), "PNG", pnginfo=info)


def jpeg_with_metadata(size: tuple[int, int] = (1200, 900), orientation: int = 1) -> bytes:
    """A camera-like JPEG: EXIF with GPS, maker and orientation, an ICC profile, a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "Model-MARKER"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return jpeg(size, exif=exif, icc_profile=icc, comment=MARKER)


def iso_bmff(brand: bytes, payload: bytes = b"\x00" * 64) -> bytes:
    ftyp = b"ftyp" + brand + b"\x00\x00\x02\x00" + brand
    mdat = b"mdat" + payload
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(mdat) + 4) + mdat


def mp4(payload: bytes = b"\x00" * 64) -> bytes:
    return iso_bmff(b"isom", payload)


def webm() -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87\x81\x04" + b"\x00" * 64


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def rendition(sha256: str, variant: str) -> Image.Image:
    image = Image.open(io.BytesIO(media_storage.media_read(sha256, variant)))
    image.load()
    return image


# --- Accepted -----------------------------------------------------------------------------------


def test_media_ingest_stores_an_image_with_its_hashes_and_renditions(private_storage):
    data = jpeg((300, 200))

    result = media_ingest(data=data)

    media = result.media
    assert result.created
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    assert media.md5 == hashlib.md5(data).hexdigest()  # noqa: S324 (a content hash)
    assert (media.kind, media.mime, media.size) == ("image", "image/jpeg", len(data))
    assert (media.width, media.height) == (300, 200)
    assert len(media.pdq) == 64
    assert int(media.pdq, 16) > 0
    assert 0 <= media.pdq_quality <= 100
    assert media.purged_at is None
    for variant in ("original", "view", "guard"):
        assert media_storage.media_exists(media.sha256, variant)
    assert media_storage.media_read(media.sha256, "original") == data
    event = AuditEvent.objects.get(action="media.received")
    assert event.data == {
        "sha256": media.sha256,
        "kind": "image",
        "mime": "image/jpeg",
        "size": len(data),
        "restored": False,
    }


@pytest.mark.parametrize(
    ("fmt", "mime", "params"),
    [
        ("PNG", "image/png", {}),
        ("GIF", "image/gif", {}),
        ("WEBP", "image/webp", {"quality": 90}),
    ],
)
def test_media_ingest_accepts_each_image_type(fmt, mime, params):
    data = encoded(picture((50, 40)), fmt, **params)

    media = media_ingest(data=data).media

    assert (media.kind, media.mime, media.width, media.height) == ("image", mime, 50, 40)
    assert media.pdq


def test_media_ingest_accepts_a_transparent_png_and_an_animated_gif():
    transparent = encoded(picture((30, 30), mode="RGBA"), "PNG")
    frames = [picture((20, 20)), picture((20, 20)).rotate(90)]
    animated = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)

    for data in (transparent, animated):
        media = media_ingest(data=data).media
        assert rendition(media.sha256, "view").size == (media.width, media.height)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (mp4(), "video/mp4"),
        (iso_bmff(b"qt  "), "video/quicktime"),
        (webm(), "video/webm"),
    ],
)
def test_media_ingest_stores_a_video_without_renditions(data, mime):
    media = media_ingest(data=data).media

    assert (media.kind, media.mime, media.pdq, media.pdq_quality) == ("video", mime, "", None)
    assert (media.width, media.height) == (None, None)
    assert media_storage.media_read(media.sha256, "original") == data
    assert not media_storage.media_exists(media.sha256, "view")
    assert not media_storage.media_exists(media.sha256, "guard")


# --- Idempotent, race-safe, crash-safe --------------------------------------------------------


def test_media_ingest_of_the_same_bytes_twice_is_one_row_and_rewrites_nothing(private_storage):
    data = jpeg()
    first = media_ingest(data=data)
    files = {path: path.read_bytes() for path in stored_files(private_storage)}

    again = media_ingest(data=data)

    assert (first.created, again.created) == (True, False)
    assert again.media.pk == first.media.pk
    assert Media.objects.count() == 1
    assert {path: path.read_bytes() for path in stored_files(private_storage)} == files
    assert len(files) == 3
    assert AuditEvent.objects.filter(action="media.received").count() == 1


def test_media_ingest_of_purged_media_restores_its_files():
    data = jpeg()
    media = media_ingest(data=data).media
    media_storage.media_delete(media.sha256)  # what the retention purge does
    Media.objects.filter(pk=media.pk).update(purged_at=timezone.now())

    result = media_ingest(data=data)

    assert (result.created, result.media.pk) == (False, media.pk)
    media.refresh_from_db()
    assert media.purged_at is None
    assert media_storage.media_read(media.sha256, "original") == data
    assert media_storage.media_exists(media.sha256, "guard")
    restored = AuditEvent.objects.filter(action="media.received").order_by("id").last()
    assert restored.data["restored"] is True


def test_media_ingest_writes_missing_files_of_a_row_again():
    data = jpeg()
    media = media_ingest(data=data).media
    media_storage.media_path(media.sha256, "view").unlink()

    assert media_ingest(data=data).created is False

    assert media_storage.media_exists(media.sha256, "view")


def test_a_file_that_cannot_be_written_leaves_no_row(monkeypatch, private_storage):
    write = media_storage.media_write

    def fail_on_guard(sha256, variant, data):
        if variant == "guard":
            raise OSError("disk full")
        write(sha256, variant, data)

    monkeypatch.setattr(media_storage, "media_write", fail_on_guard)

    with pytest.raises(OSError, match="disk full"):
        media_ingest(data=jpeg())

    assert not Media.objects.exists()
    assert not AuditEvent.objects.filter(action="media.received").exists()
    assert stored_files(private_storage) == []  # the files written before were removed


def test_a_failed_restore_leaves_purged_media_purged_and_without_files(
    monkeypatch, private_storage
):
    data = jpeg()
    media = media_ingest(data=data).media
    media_storage.media_delete(media.sha256)
    Media.objects.filter(pk=media.pk).update(purged_at=timezone.now())
    write = media_storage.media_write

    def fail_on_guard(sha256, variant, content):
        if variant == "guard":
            raise OSError("disk full")
        write(sha256, variant, content)

    monkeypatch.setattr(media_storage, "media_write", fail_on_guard)

    with pytest.raises(OSError, match="disk full"):
        media_ingest(data=data)

    media.refresh_from_db()
    assert media.purged_at is not None
    assert stored_files(private_storage) == []


def test_a_row_that_cannot_be_written_leaves_no_file(monkeypatch, private_storage):
    def refuse(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Media.objects, "get_or_create", refuse)

    with pytest.raises(RuntimeError):
        media_ingest(data=jpeg())

    assert stored_files(private_storage) == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_bytes_uploaded_at_once_make_one_row(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "race"
    data = jpeg((400, 300))

    results = race(*[lambda: media_ingest(data=data)] * 6)

    assert race_errors(results) == []
    assert sorted(r.created for r in results) == [False] * 5 + [True]
    assert {r.media.pk for r in results} == {Media.objects.get().pk}
    assert media_storage.media_read(hashlib.sha256(data).hexdigest(), "original") == data
    assert AuditEvent.objects.filter(action="media.received").count() == 1


# --- Refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"Just some text, no picture.", "text"),
        (b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(1)</script></svg>",
            "image/svg+xml",
        ),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "text/html"),
        (encoded(picture(), "TIFF"), "image/tiff"),
        (encoded(picture(), "BMP"), "image/bmp"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x82\x88matroska" + b"\x00" * 64, "video/x-matroska"),
        (b"\x00\x01\x02\x03" * 50, "unknown binary data"),
    ],
    ids=["text", "pdf", "svg", "html", "tiff", "bmp", "mkv", "binary"],
)
def test_media_ingest_refuses_other_types_naming_what_it_found(data, detected, private_storage):
    with pytest.raises(MediaTypeRefused) as refused:
        media_ingest(data=data)

    assert f"detected: {detected}" in refused.value.message
    assert not Media.objects.exists()
    assert stored_files(private_storage) == []


def test_media_ingest_refuses_an_empty_body():
    with pytest.raises(MediaEmpty):
        media_ingest(data=b"")


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 200,  # a JPEG header, no picture
        jpeg((200, 200))[:600],  # truncated
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"GIF89a" + b"\xff" * 40,
        iso_bmff(b"isom")[:-10],  # the last box runs past the end
    ],
    ids=["fake-jpeg", "truncated-jpeg", "fake-png", "fake-gif", "broken-mp4"],
)
def test_media_ingest_refuses_what_does_not_decode(data, private_storage):
    with pytest.raises(MediaUndecodable):
        media_ingest(data=data)

    assert not Media.objects.exists()
    assert stored_files(private_storage) == []


def test_media_ingest_refuses_a_file_past_its_kinds_limit(settings):
    settings.MEDIA_MAX_BYTES = {"image": 2000, "video": 100}
    image = jpeg((200, 200))
    assert len(image) > 2000

    with pytest.raises(MediaTooLarge) as refused:
        media_ingest(data=image)
    assert "limit for images is 2000 bytes" in refused.value.message

    with pytest.raises(MediaTooLarge) as refused:
        media_ingest(data=mp4(b"\x00" * 200))
    assert "limit for videos is 100 bytes" in refused.value.message
    assert media_ingest(data=mp4(b"\x00" * 10)).created  # the video limit is its own
    assert not Media.objects.filter(kind="image").exists()


def test_media_ingest_refuses_a_decompression_bomb(private_storage):
    bomb = png_claiming(100_000, 100_000)
    assert len(bomb) < 200

    with pytest.raises(MediaTooManyPixels) as refused:
        media_ingest(data=bomb)

    assert "decompression bomb" in refused.value.message
    assert stored_files(private_storage) == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("side", [40, 100])  # past the limit, and past twice the limit
def test_media_ingest_refuses_more_pixels_than_pillows_limit(monkeypatch, side):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    with pytest.raises(MediaTooManyPixels, match="at most 1000 pixels"):
        media_ingest(data=encoded(picture((side, side)), "PNG"))


# --- Encrypted on disk --------------------------------------------------------------------------


def test_no_file_on_disk_holds_the_media_in_clear(private_storage):
    data = png_with_marker()
    assert MARKER in data
    media = media_ingest(data=data).media
    view = media_storage.media_read(media.sha256, "view")

    files = stored_files(private_storage)

    assert len(files) == 3
    for path in files:
        stored = path.read_bytes()
        assert MARKER not in stored
        assert data not in stored
        assert data[:64] not in stored
        assert view[:32] not in stored
        assert b"\x89PNG" not in stored
        assert b"RIFF" not in stored
        assert b"WEBP" not in stored
        assert private_storage in path.parents


# --- Renditions ---------------------------------------------------------------------------------


def test_renditions_fit_640_and_carry_no_metadata():
    data = jpeg_with_metadata((1200, 900))
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file does carry GPS
    media = media_ingest(data=data).media

    for variant in ("view", "guard"):
        stored = media_storage.media_read(media.sha256, variant)
        image = rendition(media.sha256, variant)
        assert image.format == "WEBP"
        assert image.size == (640, 480)
        assert not image.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
        assert MARKER not in stored
        assert b"SecretCam" not in stored
        assert b"Exif" not in stored


def test_the_guard_rendition_is_grey_and_blurred():
    stripes = Image.new("RGB", (320, 320), (255, 0, 0))
    for x in range(0, 320, 8):
        stripes.paste((0, 0, 255), (x, 0, x + 4, 320))
    media = media_ingest(data=encoded(stripes, "PNG")).media

    guard = rendition(media.sha256, "guard").convert("RGB")
    view = rendition(media.sha256, "view").convert("RGB")

    red, green, blue = guard.split()
    assert ImageChops.difference(red, green).getextrema()[1] <= 3
    assert ImageChops.difference(green, blue).getextrema()[1] <= 3
    # The stripes are gone from the guard, and still there in the view.
    guard_row = [guard.getpixel((x, 160))[0] for x in range(40, 280)]
    view_row = [view.getpixel((x, 160))[0] for x in range(40, 280)]
    assert max(guard_row) - min(guard_row) < 30
    assert max(view_row) - min(view_row) > 200


def test_renditions_are_shown_upright_while_hashes_use_the_stored_pixels():
    data = jpeg_with_metadata((600, 300), orientation=6)  # a phone held upright

    media = media_ingest(data=data).media

    assert (media.width, media.height) == (600, 300)  # as stored, like the PDQ reference
    assert rendition(media.sha256, "view").size == (300, 600)


def test_small_images_are_not_enlarged():
    media = media_ingest(data=jpeg((30, 20))).media

    assert rendition(media.sha256, "view").size == (30, 20)


def test_media_type_detect_names_kind_from_the_bytes():
    assert media_services.media_type_detect(jpeg()) == ("image/jpeg", "image")
    assert media_services.media_type_detect(mp4()) == ("video/mp4", "video")


@pytest.mark.parametrize("version", [0, 1])
def test_a_short_video_is_accepted_and_a_long_one_refused(settings, version):
    settings.MEDIA_MAX_VIDEO_SECONDS = 180

    assert media_ingest(data=mp4_lasting(179, version=version)).created
    with pytest.raises(MediaTooLong, match="lasts 600 seconds; the limit is 180"):
        media_ingest(data=mp4_lasting(600, version=version))
    assert Media.objects.count() == 1


def test_a_movie_header_that_runs_past_its_box_is_refused():
    broken = mp4_lasting(10)
    at = broken.index(b"mvhd") - 4
    damaged = broken[:at] + struct.pack(">I", 20) + broken[at + 4 :]  # mvhd claims 20 bytes only

    with pytest.raises(MediaUndecodable):
        media_ingest(data=damaged)
