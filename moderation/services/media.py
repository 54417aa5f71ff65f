"""
Reported media in: the bytes the platform sends, checked, hashed and kept encrypted.

The type is what the bytes are, never what the sender says: `filetype` reads the magic
numbers, and an image must then decode with the one Pillow plugin of that type (so a file
that is a GIF to one parser and something else to another is refused). Images are decoded
once, within Pillow's pixel limit, to compute PDQ (Meta's perceptual hash, on the full
resolution RGB pixels without EXIF rotation, as the reference implementation does) and to
draw two renditions from the pixels alone: `view`, at most 640x640, and `guard`, the same
in grey and blurred beyond recognition, which is all a browser receives before a recorded
reveal. Neither carries metadata (EXIF, GPS, ICC, XMP, comments): they are new images.

Media is content-addressed: the same bytes are one row and one set of files. Files are
written before the row is committed, so a crash leaves at most files without a row, never a
row without its files; two uploads of the same bytes at once end with one row (the unique
SHA-256 decides, and the loser reads the winner's row).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import filetype
import numpy as np
import pdqhash
from django.conf import settings
from django.db import transaction
from PIL import ExifTags, Image, ImageFilter, ImageOps

import audit
from moderation import events, media_storage
from moderation.exceptions import (
    MediaEmpty,
    MediaTooLarge,
    MediaTooLong,
    MediaTooManyPixels,
    MediaTypeRefused,
    MediaUnavailable,
    MediaUndecodable,
)
from moderation.media_storage import Variant
from moderation.models import Media, Report

if TYPE_CHECKING:
    from accounts.models import User

# Detected type -> kind. Anything else is refused, naming what was detected.
ACCEPTED: dict[str, str] = {
    "image/jpeg": Media.Kind.IMAGE,
    "image/png": Media.Kind.IMAGE,
    "image/gif": Media.Kind.IMAGE,
    "image/webp": Media.Kind.IMAGE,
    "video/mp4": Media.Kind.VIDEO,
    "video/webm": Media.Kind.VIDEO,
    "video/quicktime": Media.Kind.VIDEO,
}
# An animated PNG is a PNG to every decoder (the first frame is what is hashed and shown).
_ALIASES = {"image/apng": "image/png"}
# The only Pillow plugin allowed to decode each image type.
_PILLOW_FORMAT = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
}

RENDITION_BOX = (640, 640)
RENDITION_MIME = "image/webp"
_VIEW_QUALITY = 80
_GUARD_QUALITY = 50
# Background a transparent image is laid on for the guard (greyscale has no alpha).
_GUARD_BACKGROUND = (128, 128, 128)


@dataclass(frozen=True)
class MediaIngested:
    media: Media
    created: bool


@dataclass(frozen=True)
class _Facts:
    """What the bytes are: the row's fields, and the renditions drawn from the pixels."""

    fields: dict[str, Any]
    renditions: dict[Variant, bytes]


def media_type_detect(data: bytes) -> tuple[str, str]:
    """(MIME type, kind) of the bytes from their content; MediaTypeRefused otherwise."""
    if not data:
        raise MediaEmpty
    guess = filetype.guess(data[:8192])
    mime = _ALIASES.get(guess.mime, guess.mime) if guess is not None else _undetected(data)
    kind = ACCEPTED.get(mime)
    if kind is None:
        raise MediaTypeRefused(detected=mime)
    return mime, kind


def _undetected(data: bytes) -> str:
    """A name for bytes filetype does not know, for the refusal message."""
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown binary data"
    if not text.replace("\n", "").replace("\r", "").replace("\t", "").isprintable():
        return "unknown binary data"
    lowered = text.lower()
    if "<svg" in lowered:
        return "image/svg+xml"
    if lowered.lstrip().startswith(("<!doctype html", "<html")):
        return "text/html"
    return "text"


def media_ingest(*, data: bytes) -> MediaIngested:
    """
    Store one media file the platform sent, or find it: same bytes, same row.

    Refused (MediaRefused, nothing stored): an empty body, a type other than the accepted
    images and videos, a file past its kind's MEDIA_MAX_BYTES, an image past Pillow's pixel
    limit (MAX_IMAGE_PIXELS, a decompression bomb) or one that does not decode.

    Bytes already received come back as the existing row with created=False and nothing is
    rewritten. Bytes whose files a retention purge removed are stored again and the row's
    purged_at cleared (also created=False: the row, and its hashes, were never gone).
    """
    mime, kind = media_type_detect(data)
    limit: int = settings.MEDIA_MAX_BYTES[kind]
    if len(data) > limit:
        raise MediaTooLarge(kind=kind, size=len(data), limit=limit)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Media.objects.filter(sha256=sha256).first()
    if existing is not None and existing.purged_at is None and _files_present(existing):
        return MediaIngested(existing, created=False)

    facts = _facts(data, mime=mime, kind=kind)
    if existing is not None:
        return MediaIngested(_media_restore(sha256=sha256, data=data, facts=facts), False)
    return _media_create(sha256=sha256, data=data, facts=facts)


def _variants(kind: str) -> tuple[Variant, ...]:
    return ("original", "view", "guard") if kind == Media.Kind.IMAGE else ("original",)


def _files_present(media: Media) -> bool:
    return all(media_storage.media_exists(media.sha256, v) for v in _variants(media.kind))


def _write_files(sha256: str, data: bytes, facts: _Facts) -> None:
    media_storage.media_write(sha256, "original", data)
    for variant, rendition in facts.renditions.items():
        media_storage.media_write(sha256, variant, rendition)


def _received(media: Media, *, restored: bool) -> None:
    media_id = media.pk
    transaction.on_commit(lambda: events.media_received.send(sender=Media, media_id=media_id))
    audit.record(
        action="media.received",
        target=media,
        data={
            "sha256": media.sha256,
            "kind": media.kind,
            "mime": media.mime,
            "size": media.size,
            "restored": restored,
        },
    )


def _media_create(*, sha256: str, data: bytes, facts: _Facts) -> MediaIngested:
    try:
        _write_files(sha256, data, facts)
        with transaction.atomic(durable=True):
            media, created = Media.objects.get_or_create(sha256=sha256, defaults=facts.fields)
            if created:
                _received(media, restored=False)
    except BaseException:
        _remove_files_without_row(sha256)
        raise
    return MediaIngested(media, created)


def _remove_files_without_row(sha256: str) -> None:
    """
    After a failed create, the files it wrote go, unless a row for them exists by now (the
    same bytes uploaded at the same moment, and stored). If the database itself failed, the
    files stay: unreferenced files are harmless, a row without its file is not.
    """
    try:
        stored = Media.objects.filter(sha256=sha256).exists()
    except Exception:
        return
    if not stored:
        media_storage.media_delete(sha256)


def _media_restore(*, sha256: str, data: bytes, facts: _Facts) -> Media:
    """Write the files again for a row whose files were purged (or lost), under its lock."""
    with transaction.atomic(durable=True):
        media = Media.objects.select_for_update().get(sha256=sha256)
        if media.purged_at is None and _files_present(media):
            return media  # another upload restored it meanwhile
        restored = media.purged_at is not None
        try:
            _write_files(sha256, data, facts)
            if restored:
                media.purged_at = None
                media.save(update_fields=["purged_at"])
            _received(media, restored=restored)
        except BaseException:
            if restored:  # still under the lock: purged media stays without files
                media_storage.media_delete(sha256)
            raise
    return media


# --- What the bytes are -------------------------------------------------------------------------


def _facts(data: bytes, *, mime: str, kind: str) -> _Facts:
    fields: dict[str, Any] = {
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "kind": kind,
        "mime": mime,
        "size": len(data),
    }
    if kind == Media.Kind.VIDEO:
        _check_video(data, mime)
        return _Facts(fields, {})
    dihedral, quality, width, height, renditions = _image(data, mime)
    fields.update(
        pdq=dihedral[0], pdq_dihedral=dihedral, pdq_quality=quality, width=width, height=height
    )
    return _Facts(fields, renditions)


def _check_video(data: bytes, mime: str) -> None:
    """
    The container's outline holds together: ISO-BMFF boxes (MP4, QuickTime) tile the file.

    Videos are not decoded here (no codec runs on the server); they are only ever served
    as an attachment, so this check is about refusing garbage with a magic number.
    """
    if mime == "video/webm":
        return  # filetype found the EBML header and the webm doctype
    for box, start, end in _boxes(data, 0, len(data), mime):
        if box == b"moov":
            seconds = _movie_seconds(data, start, end, mime)
            limit = int(settings.MEDIA_MAX_VIDEO_SECONDS)
            if seconds is not None and seconds > limit:
                raise MediaTooLong(seconds=seconds, limit=limit)


def _boxes(data: bytes, position: int, end: int, mime: str) -> Iterator[tuple[bytes, int, int]]:
    """The ISO-BMFF boxes between `position` and `end`: (type, content start, box end)."""
    while position < end:
        if position + 8 > end:
            raise MediaUndecodable(mime=mime)
        size = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        header = 8
        if size == 1:  # 64-bit size follows the type
            if position + 16 > end:
                raise MediaUndecodable(mime=mime)
            size = int.from_bytes(data[position + 8 : position + 16], "big")
            header = 16
        elif size == 0:  # the last box runs to the end of its parent
            size = end - position
        if size < header or position + size > end:
            raise MediaUndecodable(mime=mime)
        yield kind, position + header, position + size
        position += size


def _movie_seconds(data: bytes, start: int, end: int, mime: str) -> float | None:
    """The movie's duration from its `mvhd` header (timescale units), None without one."""
    for box, content, box_end in _boxes(data, start, end, mime):
        if box != b"mvhd":
            continue
        version = data[content] if content < box_end else -1
        # version 0: 4-byte creation and modification times, then timescale and duration;
        # version 1: 8-byte times and an 8-byte duration.
        layout = {0: (content + 12, 4), 1: (content + 20, 8)}.get(version)
        if layout is None or layout[0] + 4 + layout[1] > box_end:
            raise MediaUndecodable(mime=mime)
        at, width = layout
        timescale = int.from_bytes(data[at : at + 4], "big")
        duration = int.from_bytes(data[at + 4 : at + 4 + width], "big")
        if not timescale:
            raise MediaUndecodable(mime=mime)
        return duration / timescale
    return None


def _pixel_limit() -> int | None:
    """The project's limit (MEDIA_MAX_PIXELS), within Pillow's own bomb limit."""
    limits = [int(x) for x in (settings.MEDIA_MAX_PIXELS, Image.MAX_IMAGE_PIXELS) if x]
    return min(limits) if limits else None


def _decoded(data: bytes, mime: str) -> Image.Image:
    """
    The image, verified and its first frame decoded by the one plugin of its type; refused
    past the pixel limit (checked from the header, before any pixel is decoded).
    """
    formats = [_PILLOW_FORMAT[mime]]
    limit = _pixel_limit()
    width = height = None
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            width, height = probe.size
            if limit is not None and width * height > limit:
                raise MediaTooManyPixels(width=width, height=height, limit=limit)
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=formats)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaTooManyPixels(width=width, height=height, limit=limit or 0) from None
    except MediaTooManyPixels:
        raise
    except Exception:  # Pillow's plugins raise many kinds on a damaged file
        raise MediaUndecodable(mime=mime) from None
    return image


def _image(data: bytes, mime: str) -> tuple[list[str], int, int, int, dict[Variant, bytes]]:
    """
    The 8 dihedral PDQ hexes (the first is the plain PDQ), PDQ quality, width, height and
    renditions; refuses what does not decode.
    """
    image = _decoded(data, mime)
    try:
        width, height = image.size
        dihedral, quality = pdq_dihedral_of(image)
        renditions = _renditions(_upright(image))
    finally:
        image.close()
    return dihedral, quality, width, height, renditions


def pdq_dihedral_of(image: Image.Image) -> tuple[list[str], int]:
    """
    PDQ of the image and of its 7 rotations and flips, as hex, with the PDQ quality.

    As the reference computes it: RGB of the pixels as stored, no EXIF rotation. The first
    hash is what `pdqhash.compute` gives; one pass computes all 8, from one DCT. Matching
    queries the banks with all 8, so a rotated or mirrored copy of a banked picture matches
    (a "minimal" canonical hash is unstable, ThreatExchange #1676).
    """
    hashes, quality = pdqhash.compute_dihedral(np.asarray(image.convert("RGB")))
    return [np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex() for bits in hashes], int(
        quality
    )


def media_dihedral_backfill(*, batch: int = 200) -> int:
    """
    Compute `pdq_dihedral` for images stored before it existed, from their original files;
    returns how many rows got it. Purged media (no file) and videos are skipped; a file that
    no longer decodes is skipped too, and stays without (its plain PDQ still matches).
    """
    done = 0
    last = 0
    while True:
        rows = list(
            Media.objects.filter(
                pk__gt=last, kind=Media.Kind.IMAGE, purged_at__isnull=True, pdq_dihedral=[]
            )
            .exclude(pdq="")
            .order_by("pk")
            .only("pk", "sha256", "mime")[:batch]
        )
        if not rows:
            return done
        for media in rows:
            last = media.pk
            try:
                data = media_storage.media_read(media.sha256, "original")
                image = _decoded(data, media.mime)
            except Exception:  # noqa: S112 - a missing or damaged file: nothing to compute from
                continue
            try:
                dihedral, _ = pdq_dihedral_of(image)
            finally:
                image.close()
            # Guarded on the empty list, so a concurrent ingest's value is never overwritten.
            done += Media.objects.filter(pk=media.pk, pdq_dihedral=[]).update(pdq_dihedral=dihedral)


def _upright(image: Image.Image) -> Image.Image:
    """The image as a viewer shows it (EXIF orientation applied); as stored if that fails."""
    try:
        if image.getexif().get(ExifTags.Base.Orientation, 1) in (0, 1):
            return image
        return ImageOps.exif_transpose(image)
    except Exception:  # a damaged EXIF block is no reason to refuse the picture
        return image


def _encode(image: Image.Image, *, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality, method=4)
    return out.getvalue()


def _renditions(upright: Image.Image) -> dict[Variant, bytes]:
    transparent = upright.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        "transparency" in upright.info
    )
    converted = upright.convert("RGBA" if transparent else "RGB")
    converted.thumbnail(RENDITION_BOX, Image.Resampling.LANCZOS)
    # A new image from the pixels alone: no EXIF, GPS, ICC profile, XMP or comment survives.
    shown = Image.frombytes(converted.mode, converted.size, converted.tobytes())
    grey = shown
    if shown.mode == "RGBA":
        grey = Image.new("RGB", shown.size, _GUARD_BACKGROUND)
        grey.paste(shown, mask=shown.getchannel("A"))
    grey = grey.convert("L")
    # Shrunk to a few dozen pixels and blurred back up: shapes and light, no detail.
    small = grey.resize((max(1, grey.width // 20), max(1, grey.height // 20)), Image.Resampling.BOX)
    guard = small.resize(grey.size, Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(radius=max(4, max(grey.size) // 40))
    )
    return {
        "view": _encode(shown, quality=_VIEW_QUALITY),
        "guard": _encode(guard, quality=_GUARD_QUALITY),
    }


# --- Looking at the original --------------------------------------------------------------------


def media_original_open(*, report: Report, media: Media, actor: User) -> bytes:
    """
    The original bytes of a report's media, for download; the look is recorded.

    The event (`media.viewed`) is written in the same request, before any byte leaves, and
    names the report, its case and the SHA-256, never the content. MediaUnavailable when
    the file is gone (purged, or never written).
    """
    if media.purged_at is not None:
        raise MediaUnavailable
    try:
        data = media_storage.media_read(media.sha256, "original")
    except FileNotFoundError:
        raise MediaUnavailable from None
    assert report.case_id is not None  # reached through its case's page
    with transaction.atomic(durable=True):
        audit.record(
            action="media.viewed",
            actor=actor,
            target_type="moderation.case",
            target_id=report.case_id,
            data={"report": report.pk, "media_sha256": media.sha256, "variant": "original"},
        )
    return data
