"""Normalisation, shingles, signatures and bands of near-duplicate texts."""

from __future__ import annotations

import pytest

from signals.neardup import text


def test_normalise_folds_width_case_links_digits_and_spaces():
    raw = "ＷＩＮ  1000 USDT\nnow: https://scam.example/x?a=1 or bit.ly/abc12 or t.me/joinus"

    assert text.normalise(raw) == "win 0 usdt now: <url> or <url> or <url>"


def test_normalise_makes_rotated_links_and_numbers_identical():
    one = text.normalise("Claim 500 USDT at https://a.example/1 before 23:59")
    other = text.normalise("Claim 750 USDT at https://b.example/zz before 11:00")

    assert one == other


def test_shingles_are_character_five_grams_and_short_texts_one_shingle():
    assert text.shingles("abcdef") == {b"abcde", b"bcdef"}
    assert text.shingles("abc") == {b"abc"}


def test_signature_round_trips_and_estimates_jaccard():
    base = text.normalise("Your parcel is waiting, confirm the delivery fee at <url> today")
    edited = text.normalise(
        "Hello! Your parcel is waiting, confirm the delivery fee at <url> today"
    )
    unrelated = text.normalise("The choir rehearses on Tuesday in the small hall behind the church")
    one, two, three = text.signatures([base, edited, unrelated])

    assert text.Signature.from_bytes(one.to_bytes()).jaccard(one) == 1.0
    assert len(one.to_bytes()) == text.NUM_PERM * 4
    truth = len(text.shingles(base) & text.shingles(edited)) / len(
        text.shingles(base) | text.shingles(edited)
    )
    assert abs(one.jaccard(two) - truth) < 0.15
    assert one.jaccard(three) < 0.2


def test_signatures_are_the_same_in_every_process():
    # Seed and scheme fixed: a signature stored yesterday compares with one made today.
    assert (
        text.signature("same text here").to_bytes() == text.signature("same text here").to_bytes()
    )
    assert text.scheme_name(70) == "affine32/p128/s1/b14r9"


@pytest.mark.parametrize(
    ("threshold", "banding"),
    [(50, (25, 5)), (70, (14, 9)), (75, (14, 9)), (80, (9, 13)), (90, (5, 25)), (30, (25, 5))],
)
def test_banding_follows_the_threshold(threshold, banding):
    assert text.banding_for(threshold) == banding


def test_buckets_are_one_signed_bigint_per_band():
    buckets = text.signature("some normalised text for bands").buckets(70)

    assert [band for band, _ in buckets] == list(range(14))
    assert all(-(2**63) <= bucket < 2**63 for _, bucket in buckets)
    assert buckets == text.signature("some normalised text for bands").buckets(70)
