"""Matching media against hash banks: exact hashes, PDQ near matches, thresholds, rollout."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone
from PIL import Image

from signals import matching
from signals.matching import PdqIndex, match_media, match_media_batch, pdq_distance
from signals.models import BankedHash, HashBank
from tests.signals.helpers import bank, banked, ingest, picture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index():
    """Ids are reused after a rolled-back test on SQLite: start each test without an index."""
    matching.index_reset()
    yield
    matching.index_reset()


# --- The faiss index ------------------------------------------------------------------------------


def _flip(value: str, positions: list[int]) -> str:
    n = int(value, 16)
    for p in positions:
        n ^= 1 << p
    return f"{n:064x}"


def test_multihash_index_finds_every_hash_within_31_bits_even_the_worst_spread():
    rng = random.Random(7)  # noqa: S311 - test data
    stored = [f"{rng.getrandbits(256):064x}" for _ in range(2000)]
    index = PdqIndex(enumerate(stored, start=1), threshold=31)
    # The worst case for a 16-slot multi-hash: 2 flipped bits in 15 slots and 1 in the last.
    worst = [slot * 16 + bit for slot in range(15) for bit in (3, 11)] + [15 * 16 + 5]
    queries = [_flip(stored[0], worst)]
    expected = [{(1, 31)}]
    for n in range(1, 200):  # and random near copies at distances 0..31
        distance = n % 32
        queries.append(_flip(stored[n], rng.sample(range(256), distance)))
        expected.append({(n + 1, distance)})

    answers = index.query(queries)

    assert [set(a) for a in answers] == expected


def test_multihash_index_answers_as_brute_force_does():
    rng = random.Random(11)  # noqa: S311 - test data
    stored = [f"{rng.getrandbits(256):064x}" for _ in range(500)]
    queries = [_flip(s, rng.sample(range(256), rng.randrange(0, 40))) for s in stored[:100]]
    multi = PdqIndex(enumerate(stored, start=1), threshold=31)

    brute = [
        {(i, d) for i, s in enumerate(stored, start=1) if (d := pdq_distance(s, q)) <= 31}
        for q in queries
    ]

    assert [set(a) for a in multi.query(queries)] == brute


def test_a_threshold_above_31_uses_brute_force_with_the_same_answers():
    rng = random.Random(3)  # noqa: S311 - test data
    stored = [f"{rng.getrandbits(256):064x}" for _ in range(300)]
    queries = [_flip(s, rng.sample(range(256), 45)) for s in stored[:20]]

    index = PdqIndex(enumerate(stored, start=1), threshold=52)

    assert type(index._inner).__name__ == "IndexBinaryFlat"
    assert [set(a) for a in index.query(queries)] == [{(n, 45)} for n in range(1, 21)]


def test_a_corrupt_banked_pdq_value_is_left_out_of_the_index():
    index = PdqIndex([(1, "0" * 32), (2, "zz" * 32), (3, "a" * 64)], threshold=31)

    assert index.size == 1


# --- Exact hashes -------------------------------------------------------------------------------


def test_exact_sha256_and_md5_match_with_distance_0():
    media = ingest(picture(1))
    spam = bank()
    by_sha = banked(spam, "sha256", media.sha256)
    other = bank("OTHER_BANK", category=None)
    by_md5 = banked(other, "md5", media.md5)

    hits = match_media(media)

    assert {(h.bank.name, h.banked_hash.pk, h.signal_type, h.distance) for h in hits} == {
        ("KNOWN_SPAM", by_sha.pk, "sha256", 0),
        ("OTHER_BANK", by_md5.pk, "md5", 0),
    }


def test_a_one_hash_bank_matches():
    """TE #1318: a bank holding a single hash never matched in HMA."""
    media = ingest(picture(1))
    banked(bank(), "pdq", media.pdq)

    assert [h.distance for h in match_media(media)] == [0]


# --- PDQ near matches ---------------------------------------------------------------------------


def test_pdq_near_copy_matches_within_the_threshold_and_not_beyond():
    original = ingest(picture(1))
    copy = ingest(picture(1, mark=12))
    distance = pdq_distance(original.pdq, copy.pdq)
    assert 0 < distance <= 31
    assert copy.sha256 != original.sha256
    spam = bank(pdq_threshold=distance)
    row = banked(spam, "pdq", original.pdq, source_decision=None)

    hits = match_media(copy)
    assert [(h.banked_hash.pk, h.signal_type, h.distance) for h in hits] == [
        (row.pk, "pdq", distance)
    ]

    HashBank.objects.filter(pk=spam.pk).update(pdq_threshold=distance - 1)
    assert match_media(copy) == []


def test_an_unrelated_picture_does_not_match():
    banked(bank(), "pdq", ingest(picture(1)).pdq)

    assert match_media(ingest(picture(2))) == []


def test_low_quality_pdq_is_not_matched():
    flat = ingest(Image.linear_gradient("L").resize((64, 48)).convert("RGB"))
    assert flat.pdq_quality is not None
    assert flat.pdq_quality < 50
    banked(bank(), "pdq", flat.pdq)

    assert match_media(flat) == []


def test_index_is_rebuilt_when_a_hash_is_added_and_reused_while_nothing_changes():
    spam = bank()
    banked(spam, "pdq", ingest(picture(3)).pdq)
    media = ingest(picture(1))
    assert match_media(media) == []
    built = matching.pdq_index(banks=[spam])
    assert matching.pdq_index(banks=[spam]) is built

    banked(spam, "pdq", media.pdq)

    assert [h.distance for h in match_media(media)] == [0]
    assert matching.pdq_index(banks=[spam]) is not built


def test_a_batch_costs_the_same_queries_for_one_media_or_many(django_assert_num_queries):
    spam = bank()
    medias = [ingest(picture(seed)) for seed in range(1, 5)]
    for media in medias:
        banked(spam, "pdq", media.pdq)
        banked(spam, "md5", media.md5)
    match_media_batch(medias[:1])  # builds the index

    # banks, index version, exact lookups, rows of the hits
    with django_assert_num_queries(4):
        one = match_media_batch(medias[:1])
    with django_assert_num_queries(4):
        many = match_media_batch(medias)

    assert len(one[medias[0].pk]) == 2
    assert all(len(hits) == 2 for hits in many.values())


# --- What does not match ------------------------------------------------------------------------


def test_disabled_hash_and_disabled_bank_do_not_match_even_from_a_built_index():
    media = ingest(picture(1))
    spam = bank()
    row = banked(spam, "pdq", media.pdq)
    exact = banked(bank("SECOND_BANK"), "sha256", media.sha256)
    assert len(match_media(media)) == 2  # the index is built with the hash in it

    BankedHash.objects.filter(pk=row.pk).update(disabled_at=timezone.now())
    HashBank.objects.filter(pk=exact.bank_id).update(enabled=False)

    assert match_media(media) == []


def test_match_percent_0_never_matches_and_100_always_does():
    medias = [ingest(picture(seed)) for seed in range(1, 6)]
    never = bank("NEVER", match_percent=0)
    always = bank("ALWAYS", match_percent=100)
    for media in medias:
        banked(never, "sha256", media.sha256)
        banked(always, "sha256", media.sha256)

    found = match_media_batch(medias)

    assert {h.bank.name for hits in found.values() for h in hits} == {"ALWAYS"}
    assert all(len(hits) == 1 for hits in found.values())


def test_rollout_is_the_same_coin_for_the_same_media():
    medias = [ingest(picture(seed)) for seed in range(1, 9)]
    half = bank("HALF", match_percent=50)
    for media in medias:
        banked(half, "sha256", media.sha256)

    first = {pk for pk, hits in match_media_batch(medias).items() if hits}
    second = {pk for pk, hits in match_media_batch(medias).items() if hits}

    assert first == second
    coins = {m.pk: random.Random(m.sha256).random() * 100 for m in medias}  # noqa: S311
    assert first == {pk for pk, coin in coins.items() if coin < 50}
