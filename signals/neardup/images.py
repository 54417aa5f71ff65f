"""
Near-identical images: an in-process faiss index over the PDQ hashes of reported media.

The index is the hash banks' `PdqIndex` (multi-index hashing over 16 slots of 16 bits, exact
recall up to distance 31), built over every media item with a usable PDQ (quality at least
50). Each process builds it lazily and rebuilds it when a cheap version (count, largest and
summed id of those media) changes, so media that arrived a moment ago is found. Distances
are measured again from the stored hashes before they count.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max, Sum

from moderation.models import Media
from signals.matching import PDQ_QUALITY_THRESHOLD, PdqIndex, pdq_distance, pdq_usable

__all__ = ["index_reset", "near_media", "pdq_usable", "reported_media_index"]

_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], PdqIndex] | None = None


def _indexed_media() -> Any:
    return Media.objects.filter(pdq_quality__gte=PDQ_QUALITY_THRESHOLD).exclude(pdq="")


def reported_media_index(*, threshold: int) -> PdqIndex:
    """This process's index of reported media, rebuilt first if media arrived since."""
    global _cached
    stats = _indexed_media().aggregate(n=Count("id"), top=Max("id"), total=Sum("id"))
    version = (stats["n"], stats["top"], stats["total"], threshold)
    with _lock:
        if _cached is None or _cached[0] != version:
            rows = _indexed_media().order_by().values_list("id", "pdq").iterator(chunk_size=10_000)
            _cached = (version, PdqIndex(rows, threshold=threshold))
        return _cached[1]


def index_reset() -> None:
    """Forget this process's index (tests; the next call builds it again)."""
    global _cached
    with _lock:
        _cached = None


def near_media(medias: list[Media], *, threshold: int) -> dict[int, list[tuple[str, int]]]:
    """
    For each media item (by id), the (sha256, distance) of every indexed media item within
    the threshold, itself included: the same file reported on two cases is a copy too.
    """
    usable = [m for m in medias if pdq_usable(m)]
    if not usable:
        return {}
    index = reported_media_index(threshold=threshold)
    hits = index.query([m.pdq for m in usable])
    ids = {pk for found in hits for pk, _ in found}
    rows = {
        pk: (sha, pdq)
        for pk, sha, pdq in Media.objects.filter(pk__in=ids).values_list("pk", "sha256", "pdq")
    }
    near: dict[int, list[tuple[str, int]]] = {}
    for media, found in zip(usable, hits, strict=True):
        near[media.pk] = []
        for pk, _ in found:
            if pk not in rows:
                continue
            sha, pdq = rows[pk]
            distance = pdq_distance(media.pdq, pdq)
            if distance <= threshold:
                near[media.pk].append((sha, distance))
    return near
