"""
Near-identical texts: normalisation, shingles, MinHash signatures and their LSH bands.

Spam is sent again with small edits: another link, a greeting added, a number changed. So
the text is normalised first (NFKC, casefold, every URL becomes "<url>", every run of digits
"0", whitespace collapsed), cut into character 5-grams (which survive small edits in any
script), and summarised by a MinHash of 128 permutations. The share of equal positions in
two signatures estimates the Jaccard similarity of their shingle sets.

LSH: the signature is cut into `bands` slices of `rows` values; two texts that agree on a
whole slice become candidates. Each slice is stored as one row, (band, bucket), where the
bucket is the 8-byte blake2b of the slice, so candidates are index probes on (band, bucket).
Candidates are then verified by their estimated Jaccard against the threshold.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
SEED = 1
# datasketch 2.0 changed its default hash scheme; signatures of different schemes (or
# permutations, or seeds) cannot be compared, so the scheme is named with each signature.
HASH_SCHEME = "affine32"
SHINGLE_CHARS = 5

# Bands x rows that make the LSH S-curve rise around each threshold (datasketch's
# `_optimal_param` with equal weights on false positives and negatives, 128 permutations).
# A threshold between two rows uses the lower one: more candidates, which verification sorts.
BANDING = {50: (25, 5), 60: (18, 7), 70: (14, 9), 80: (9, 13), 90: (5, 25)}

_URL = re.compile(
    r"""
    (?:https?://|www\.)\S+                     # a link with a scheme or www.
    | \b[\w-]+(?:\.[\w-]+)*                    # or a bare domain on a TLD spam favours
      \.(?:com|net|org|io|ly|me|gg|co|ru|xyz|info|biz|link|click|top)\b(?:/\S*)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form two copies of one message share despite small edits."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _URL.sub("<url>", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def shingles(normalised: str) -> set[bytes]:
    """Character 5-grams of a normalised text (the whole text when it is shorter)."""
    if len(normalised) <= SHINGLE_CHARS:
        return {normalised.encode()}
    return {
        normalised[i : i + SHINGLE_CHARS].encode()
        for i in range(len(normalised) - SHINGLE_CHARS + 1)
    }


def banding_for(threshold_percent: int) -> tuple[int, int]:
    """(bands, rows) for a threshold in percent."""
    eligible = [t for t in BANDING if t <= threshold_percent]
    return BANDING[max(eligible) if eligible else min(BANDING)]


def scheme_name(threshold_percent: int) -> str:
    """What a signature and its bands were made with, e.g. "affine32/p128/s1/b14r9"."""
    bands, rows = banding_for(threshold_percent)
    return f"{HASH_SCHEME}/p{NUM_PERM}/s{SEED}/b{bands}r{rows}"


@dataclass(frozen=True)
class Signature:
    values: np.ndarray  # NUM_PERM unsigned 32-bit values

    def to_bytes(self) -> bytes:
        return self.values.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> Signature:
        return cls(np.frombuffer(bytes(data), dtype="<u4"))

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity: the share of permutations whose minimum agrees."""
        return float(np.count_nonzero(self.values == other.values)) / len(self.values)

    def buckets(self, threshold_percent: int) -> list[tuple[int, int]]:
        """(band, bucket) pairs: the 8-byte blake2b of each band's slice, as a signed bigint."""
        bands, rows = banding_for(threshold_percent)
        raw = self.values.astype("<u4")
        return [
            (
                band,
                int.from_bytes(
                    hashlib.blake2b(
                        raw[band * rows : (band + 1) * rows].tobytes(), digest_size=8
                    ).digest(),
                    "big",
                    signed=True,
                ),
            )
            for band in range(bands)
        ]


def signatures(texts: list[str]) -> list[Signature]:
    """MinHash signatures of already normalised texts, computed in one batch."""
    minhashes = MinHash.bulk(
        [sorted(shingles(t)) for t in texts], num_perm=NUM_PERM, seed=SEED, scheme=HASH_SCHEME
    )
    return [Signature(np.asarray(m.hashvalues, dtype=np.uint32)) for m in minhashes]


def signature(normalised: str) -> Signature:
    return signatures([normalised])[0]
