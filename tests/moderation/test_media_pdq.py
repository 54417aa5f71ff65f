"""
PDQ as Meta's reference computes it, on reference images (tests/data/pdq/README.md): the
exact hash and quality, on the full-resolution pixels, without EXIF rotation.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from moderation.services.media import media_ingest

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "pdq"
with (DATA / "expected_fullres.csv").open(newline="") as _table:
    EXPECTED = list(csv.DictReader(_table))


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"


def test_the_reference_table_lists_every_staged_image():
    staged = {str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.suffix in {".jpg", ".png"}}
    assert {row["path"] for row in EXPECTED} == staged
    assert len(EXPECTED) >= 4
    assert {int(row["quality"]) >= 80 for row in EXPECTED} == {True, False}


@pytest.mark.parametrize("row", EXPECTED, ids=[row["path"] for row in EXPECTED])
def test_media_ingest_computes_the_reference_pdq_hash_and_quality(row):
    data = (DATA / row["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == row["sha256"]  # the file is the upstream one

    media = media_ingest(data=data).media

    assert media.pdq == row["hash"]
    assert media.pdq_quality == int(row["quality"])
    assert (media.width, media.height) == (int(row["width"]), int(row["height"]))
    assert (media.sha256, media.size) == (row["sha256"], int(row["bytes"]))
