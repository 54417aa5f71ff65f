"""
The demo's evidence: synthetic pictures ingested like uploads (files that decrypt, near-copies
a few PDQ bits apart) and referenced by the media reports; thread context on some group
messages, with both provenances; and the disclosures demo's requests holding evidence.
"""

from __future__ import annotations

import hashlib
import io
from itertools import combinations

import pytest
from django.core.management import call_command
from PIL import Image

from moderation import media_storage
from moderation.demo_evidence import FAMILY_SIZE, synthetic_picture
from moderation.models import EvidenceHold, Media, Report

pytestmark = pytest.mark.django_db

NEAR = 31  # PDQ's usual match threshold, out of 256 bits


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@pytest.fixture
def seeded(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    call_command("seed_demo", verbosity=0)


def test_the_pictures_are_drawn_the_same_way_every_time():
    assert synthetic_picture(3, 1) == synthetic_picture(3, 1)
    assert synthetic_picture(3, 1) != synthetic_picture(3, 2)


def test_the_demo_seeds_pictures_that_decrypt_with_near_copies_close_in_pdq(seeded):
    reports = Report.objects.filter(content_type="image")
    shas = set(reports.values_list("media_sha256", flat=True))
    media = {m.sha256: m for m in Media.objects.filter(sha256__in=shas)}

    # Every media report references a stored picture, shown from storage (no link).
    assert len(shas) >= 30
    assert set(media) == shas
    assert not reports.exclude(media_url="").exists()
    for item in media.values():
        original = media_storage.media_read(item.sha256, "original")
        assert hashlib.sha256(original).hexdigest() == item.sha256
        with Image.open(io.BytesIO(media_storage.media_read(item.sha256, "view"))) as view:
            assert max(view.size) <= 640
        assert (item.kind, item.purged_at) == ("image", None)

    # Near-copies sit within PDQ's match threshold; different pictures almost never do.
    families = [[media[sha].pdq for sha in group] for group in _families(reports)]
    near = [distance(a, b) for group in families for a, b in combinations(group, 2)]
    assert near
    assert max(near) <= NEAR
    far = [distance(a[0], b[0]) for a, b in combinations(families, 2)]
    assert sum(d > NEAR for d in far) / len(far) > 0.95


def _families(reports) -> list[list[str]]:
    """The media subjects' SHA-256s in seeding order, grouped FAMILY_SIZE at a time."""
    subjects = sorted(
        {(r.subject.platform_id, r.media_sha256) for r in reports.select_related("subject")},
        key=lambda pair: int(pair[0].rsplit("-", 1)[1]),
    )
    shas = [sha for _platform_id, sha in subjects]
    return [shas[i : i + FAMILY_SIZE] for i in range(0, len(shas), FAMILY_SIZE)]


def test_the_demo_seeds_threads_of_both_provenances_and_legal_holds(seeded):
    threads = [r.context for r in Report.objects.exclude(context=[]).only("context")]

    assert len(threads) >= 10
    provenances = {m["provenance"] for thread in threads for m in thread}
    assert provenances == {"platform", "reporter"}
    for thread in threads:
        positions = [m["position"] for m in thread]
        assert positions == sorted(positions, key=["before", "after"].index)
    # The legal demo's requests hold the evidence of the accounts they name.
    assert EvidenceHold.objects.filter(released_at__isnull=True).exists()
    assert EvidenceHold.objects.filter(source_type="disclosures.preservationhold").exists()
    assert EvidenceHold.objects.filter(released_at__isnull=False).exists()  # ended requests
