"""
Matching reported media against the hash banks: exact MD5 / SHA-256 lookups in the database,
PDQ near matches in an in-process faiss index.

The PDQ index is pytx's `PDQIndex`: `IndexBinaryMultiHash(256, 16, 16)` splits each hash into
16 slots of 16 bits; a query probes every slot with up to `nflip` bits flipped. Two hashes
within distance d differ in at most d // 16 bits in some slot (pigeonhole), so with
`nflip = threshold // 16` recall is exact up to the threshold. Above 31 (nflip 2 probes 137
buckets per slot) a brute-force `IndexBinaryFlat` is used instead.

The index holds the enabled hashes of enabled banks. It is built lazily in each process and
rebuilt when a cheap version (count, largest and summed id of those hashes, and the enabled
banks' thresholds) changes; the version is read once per batch. Every hit is read back from
the database before it counts, so a hash or bank disabled a moment ago never matches, even
from an index built before.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Q, Sum

from signals.models import BankedHash, HashBank

if TYPE_CHECKING:
    from moderation.models import Media

PDQ_BITS = 256
# pytx QUALITY_THRESHOLD: below it a PDQ hash says little about the picture.
PDQ_QUALITY_THRESHOLD = 50
# Largest threshold the multi-hash index serves with exact recall at nflip = 1.
MULTIHASH_MAX_THRESHOLD = 31

_PDQ_HEX = re.compile(r"^[0-9a-f]{64}$")


# pdqhash.compute_dihedral's order, named by how the reported copy differs from the banked
# picture when that hash of the copy is the one that matches (the hash undoes the change):
# the copy's "rotate 90" hash matches when the copy was rotated the other way, and so on.
DIHEDRAL_TRANSFORMS = (
    "original",
    "rotated_90_clockwise",
    "rotated_180",
    "rotated_90_counterclockwise",
    "flipped_top_to_bottom",
    "mirrored_left_to_right",
    "transposed",
    "transversed",
)
TRANSFORM_LABELS = {
    "original": "as banked",
    "rotated_90_clockwise": "rotated 90° clockwise",
    "rotated_180": "rotated 180°",
    "rotated_90_counterclockwise": "rotated 90° counter-clockwise",
    "flipped_top_to_bottom": "flipped top to bottom",
    "mirrored_left_to_right": "mirrored left to right",
    "transposed": "mirrored along the diagonal",
    "transversed": "mirrored along the anti-diagonal",
}


@dataclass(frozen=True)
class BankHit:
    """One banked hash that a media item matches."""

    bank: HashBank
    banked_hash: BankedHash
    signal_type: str
    distance: int  # 0 for MD5 / SHA-256
    source_decision_id: int | None
    # For PDQ: which of the copy's 8 rotations and flips matched best (DIHEDRAL_TRANSFORMS).
    transform: str = "original"


class PdqIndex:
    """A faiss binary index over PDQ hashes, answering every id within a radius."""

    def __init__(self, rows: Iterable[tuple[int, str]], *, threshold: int) -> None:
        import faiss
        import numpy as np

        ids: list[int] = []
        hexes: list[str] = []
        for pk, value in rows:
            if _PDQ_HEX.match(value):  # a corrupt import must not break the build (TE #1609)
                ids.append(pk)
                hexes.append(value)
        self.threshold = threshold
        self.size = len(ids)
        if threshold <= MULTIHASH_MAX_THRESHOLD:
            inner: Any = faiss.IndexBinaryMultiHash(PDQ_BITS, 16, 16)
            inner.nflip = threshold // 16
        else:
            inner = faiss.IndexBinaryFlat(PDQ_BITS)
        self._inner = inner  # the ID map does not own it: keep it alive
        self._index = faiss.IndexBinaryIDMap2(inner)
        if ids:
            vectors = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, 32)
            self._index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def query(self, hashes: list[str]) -> list[list[tuple[int, int]]]:
        """For each hash, the (id, distance) pairs within the threshold."""
        import numpy as np

        if not hashes or not self.size:
            return [[] for _ in hashes]
        queries = np.frombuffer(bytes.fromhex("".join(hashes)), dtype=np.uint8).reshape(-1, 32)
        # faiss's radius is exclusive.
        lims, distances, ids = self._index.range_search(queries, self.threshold + 1)
        return [
            [(int(ids[j]), int(distances[j])) for j in range(lims[i], lims[i + 1])]
            for i in range(len(hashes))
        ]


_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], PdqIndex] | None = None


def _pdq_rows() -> Any:
    return BankedHash.objects.filter(
        signal_type=BankedHash.SignalType.PDQ, disabled_at__isnull=True, bank__enabled=True
    )


def pdq_index(*, banks: list[HashBank]) -> PdqIndex:
    """This process's PDQ index, rebuilt first if the banks changed since it was built."""
    global _cached
    threshold = max((b.pdq_threshold for b in banks), default=MULTIHASH_MAX_THRESHOLD)
    stats = _pdq_rows().aggregate(n=Count("id"), top=Max("id"), total=Sum("id"))
    version = (
        stats["n"],
        stats["top"],
        stats["total"],
        tuple(sorted((b.pk, b.pdq_threshold) for b in banks)),
    )
    with _lock:
        if _cached is None or _cached[0] != version:
            rows = _pdq_rows().order_by().values_list("id", "value").iterator(chunk_size=10_000)
            _cached = (version, PdqIndex(rows, threshold=threshold))
        return _cached[1]


def index_reset() -> None:
    """Forget this process's index (tests; the next batch builds it again)."""
    global _cached
    with _lock:
        _cached = None


def in_rollout(*, media: Media, bank: HashBank) -> bool:
    """HMA's coin flip, seeded by the content so the same media always gets the same answer."""
    return random.Random(media.sha256).random() * 100 < bank.match_percent  # noqa: S311


def pdq_usable(media: Media) -> bool:
    return bool(
        media.pdq
        and media.pdq_quality is not None
        and media.pdq_quality >= PDQ_QUALITY_THRESHOLD
        and _PDQ_HEX.match(media.pdq)
    )


def pdq_distance(a: str, b: str) -> int:
    """Hamming distance between two PDQ hashes in hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def pdq_queries(media: Media) -> list[str]:
    """
    The PDQ hashes to look a media item up with: its 8 rotations and flips in
    DIHEDRAL_TRANSFORMS order, or only its plain PDQ for media stored before they were
    computed (`manage.py backfill_dihedral` fills those in).
    """
    dihedral = media.pdq_dihedral
    if (
        isinstance(dihedral, list)
        and len(dihedral) == len(DIHEDRAL_TRANSFORMS)
        and all(isinstance(h, str) and _PDQ_HEX.match(h) for h in dihedral)
    ):
        return list(dihedral)
    return [media.pdq]


def pdq_best(banked: str, queries: list[str]) -> tuple[int, str]:
    """The smallest distance from a banked hash to any of the queries, and its transform."""
    distance, n = min((pdq_distance(banked, q), n) for n, q in enumerate(queries))
    return distance, DIHEDRAL_TRANSFORMS[n]


def match_media_batch(medias: list[Media]) -> dict[int, list[BankHit]]:
    """
    Hits for each media item (by its id), in a constant number of queries: the enabled
    banks, the index version, the exact lookups and the PDQ hits' rows.
    """
    found: dict[int, list[BankHit]] = {m.pk: [] for m in medias}
    if not medias:
        return found
    banks = list(HashBank.objects.filter(enabled=True, match_percent__gt=0).order_by("pk"))
    if not banks:
        return found

    by_value: dict[tuple[str, str], list[int]] = {}
    for media in medias:
        by_value.setdefault((BankedHash.SignalType.SHA256, media.sha256.lower()), []).append(
            media.pk
        )
        by_value.setdefault((BankedHash.SignalType.MD5, media.md5.lower()), []).append(media.pk)
    exact_rows = BankedHash.objects.filter(
        Q(signal_type=BankedHash.SignalType.SHA256, value__in={m.sha256.lower() for m in medias})
        | Q(signal_type=BankedHash.SignalType.MD5, value__in={m.md5.lower() for m in medias}),
        disabled_at__isnull=True,
        bank_id__in=[b.pk for b in banks],
    ).values_list("id", "signal_type", "value")
    candidates: list[tuple[int, int, int]] = []  # (media id, banked hash id, distance)
    for pk, signal_type, value in exact_rows:
        candidates += [(media_id, pk, 0) for media_id in by_value.get((signal_type, value), [])]

    with_pdq = [m for m in medias if pdq_usable(m)]
    queries = {m.pk: pdq_queries(m) for m in with_pdq}
    if with_pdq:
        index = pdq_index(banks=banks)
        owners = [m.pk for m in with_pdq for _ in queries[m.pk]]
        answers = index.query([q for m in with_pdq for q in queries[m.pk]])
        # One candidate per (media, banked hash), whichever of its 8 queries found it: the
        # distance is measured again from the row below, over all 8.
        pdq_found = {
            (media_id, pk) for media_id, hits in zip(owners, answers, strict=True) for pk, _ in hits
        }
        candidates += [(media_id, pk, 0) for media_id, pk in pdq_found]
    if not candidates:
        return found

    # Read back what matched: a hash or bank disabled since the index was built drops out.
    rows = BankedHash.objects.select_related("bank__category").in_bulk(
        {pk for _, pk, _ in candidates}
    )
    media_by_id = {m.pk: m for m in medias}
    for media_id, pk, distance in sorted(candidates):
        row = rows.get(pk)
        if row is None or row.disabled_at is not None or not row.bank.enabled:
            continue
        transform = DIHEDRAL_TRANSFORMS[0]
        if row.signal_type == BankedHash.SignalType.PDQ:
            if media_id not in queries:
                continue  # an exact lookup never returns a PDQ row; kept for safety
            # Measured again from the row: an index built before a change never decides.
            distance, transform = pdq_best(row.value, queries[media_id])
            if distance > row.bank.pdq_threshold:
                continue
        if not in_rollout(media=media_by_id[media_id], bank=row.bank):
            continue
        found[media_id].append(
            BankHit(
                bank=row.bank,
                banked_hash=row,
                signal_type=row.signal_type,
                distance=distance,
                source_decision_id=row.source_decision_id,
                transform=transform,
            )
        )
    return found


def match_media(media: Media) -> list[BankHit]:
    """The banked hashes one media item matches, within each bank's threshold and rollout."""
    return match_media_batch([media])[media.pk]
