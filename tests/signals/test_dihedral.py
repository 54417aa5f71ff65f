"""Rotated and mirrored copies of a banked picture match its bank (PDQ dihedral queries)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from moderation.models import CaseSignal, Media
from moderation.services.media import media_ingest
from signals import matching
from signals.matcher_service import reports_match
from signals.matching import DIHEDRAL_TRANSFORMS, match_media, pdq_distance
from tests.moderation.factories import make_case
from tests.signals.helpers import bank, banked, ingest, picture, png

pytestmark = pytest.mark.django_db

# Seed 3's picture: its rotated and mirrored copies land within 16 bits of it (measured), well
# inside the default threshold of 31, while their plain PDQ is over 100 bits away.
SEED = 3


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"


@pytest.fixture(autouse=True)
def fresh_index():
    matching.index_reset()
    yield
    matching.index_reset()


def test_ingest_stores_the_8_dihedral_hashes_the_first_being_the_plain_pdq():
    media = ingest(picture(SEED))

    assert len(media.pdq_dihedral) == 8
    assert media.pdq_dihedral[0] == media.pdq
    assert len(set(media.pdq_dihedral)) == 8
    assert Media.objects.get(pk=media.pk).pdq_dihedral == media.pdq_dihedral


@pytest.mark.parametrize(
    ("transpose", "transform"),
    [
        (Image.Transpose.ROTATE_90, "rotated_90_counterclockwise"),
        (Image.Transpose.ROTATE_270, "rotated_90_clockwise"),
        (Image.Transpose.FLIP_LEFT_RIGHT, "mirrored_left_to_right"),
        (Image.Transpose.FLIP_TOP_BOTTOM, "flipped_top_to_bottom"),
        (Image.Transpose.TRANSPOSE, "transposed"),
    ],
)
def test_a_rotated_or_mirrored_copy_matches_and_names_the_transform(transpose, transform):
    original = ingest(picture(SEED))
    row = banked(bank(), "pdq", original.pdq)
    copy = ingest(picture(SEED).transpose(transpose))
    assert pdq_distance(original.pdq, copy.pdq) > 31  # the plain hash alone would miss it

    [hit] = match_media(copy)

    assert hit.banked_hash == row
    assert hit.transform == transform
    assert hit.distance <= 31
    assert hit.distance == min(pdq_distance(row.value, h) for h in copy.pdq_dihedral)


def test_the_original_itself_matches_as_banked():
    original = ingest(picture(SEED))
    banked(bank(), "pdq", original.pdq)

    [hit] = match_media(original)

    assert (hit.distance, hit.transform) == (0, "original")


def test_unrelated_pictures_match_in_no_rotation_or_flip():
    banked(bank(), "pdq", ingest(picture(SEED)).pdq)

    for seed in (101, 102, 103):
        other = ingest(picture(seed))
        assert match_media(other) == []
        assert match_media(ingest(picture(seed).transpose(Image.Transpose.ROTATE_90))) == []


def test_one_hit_per_banked_hash_keeps_the_smallest_distance():
    original = ingest(picture(SEED))
    row = banked(bank(pdq_threshold=256), "pdq", original.pdq)  # every query is within reach

    hits = match_media(original)

    assert [(h.banked_hash, h.distance, h.transform) for h in hits] == [(row, 0, "original")]


def test_media_without_dihedral_hashes_is_still_matched_by_its_plain_pdq():
    original = ingest(picture(SEED))
    banked(bank(), "pdq", original.pdq)
    Media.objects.filter(pk=original.pk).update(pdq_dihedral=[])
    original.refresh_from_db()

    [hit] = match_media(original)

    assert (hit.distance, hit.transform) == (0, "original")


@pytest.mark.parametrize("broken", [["zz"] * 8, ["0" * 64] * 3, "not a list"])
def test_broken_dihedral_hashes_fall_back_to_the_plain_pdq(broken):
    original = ingest(picture(SEED))
    banked(bank(), "pdq", original.pdq)
    original.pdq_dihedral = broken

    [hit] = match_media(original)

    assert hit.transform == "original"


def test_the_signal_details_and_the_case_page_name_the_transform(
    client_for, moderator, django_capture_on_commit_callbacks
):
    banked(bank(), "pdq", ingest(picture(SEED)).pdq)
    copy = ingest(picture(SEED).transpose(Image.Transpose.ROTATE_270))
    case = make_case(subject__media_sha256=copy.sha256)

    reports_match(report_ids=list(case.reports.values_list("pk", flat=True)))

    signal = CaseSignal.objects.get(case=case, kind="hash_match")
    assert signal.details["transform"] == "rotated_90_clockwise"
    assert signal.details["transform_label"] == "rotated 90° clockwise"
    body = client_for(moderator).get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert "rotated 90° clockwise" in body


def test_backfill_computes_the_missing_dihedral_hashes_from_the_original_file():
    media = media_ingest(data=png(picture(SEED))).media
    expected = list(media.pdq_dihedral)
    Media.objects.filter(pk=media.pk).update(pdq_dihedral=[])

    call_command("backfill_dihedral")

    media.refresh_from_db()
    assert media.pdq_dihedral == expected


def test_backfill_skips_purged_media_and_is_idempotent(capsys):
    kept = ingest(picture(SEED))
    purged = ingest(picture(SEED + 1))
    Media.objects.filter(pk__in=[kept.pk, purged.pk]).update(pdq_dihedral=[])
    Media.objects.filter(pk=purged.pk).update(purged_at="2026-01-01T00:00:00Z")

    call_command("backfill_dihedral")
    call_command("backfill_dihedral")

    assert "0 media item(s)" in capsys.readouterr().out.splitlines()[-1]
    assert Media.objects.get(pk=purged.pk).pdq_dihedral == []
    assert len(Media.objects.get(pk=kept.pk).pdq_dihedral) == 8


def test_backfill_refuses_a_bad_batch_size():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("backfill_dihedral", "--batch", "0")


def test_transform_names_follow_pdqhash_order():
    assert len(DIHEDRAL_TRANSFORMS) == 8
    assert DIHEDRAL_TRANSFORMS[0] == "original"
