"""
Measure the in-process PDQ index (signals.matching.PdqIndex) on random hashes: build time,
lookup time one hash at a time and in batches, memory, and recall of planted near copies.
No database: the numbers are the index's own (docs/benchmarks.md, "PDQ lookups").
"""

from __future__ import annotations

import random
import resource
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from signals.matching import PdqIndex, pdq_distance


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _flip(value: str, bits: list[int]) -> str:
    n = int(value, 16)
    for bit in bits:
        n ^= 1 << bit
    return f"{n:064x}"


class Command(BaseCommand):
    help = "Benchmark PDQ index build and lookups at the given sizes (default 10k and 1M)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
        parser.add_argument("--queries", type=int, default=1000)
        parser.add_argument("--threshold", type=int, default=31)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        for size in options["sizes"]:
            self._run(size, options["queries"], options["threshold"], options["seed"])

    def _run(self, size: int, n_queries: int, threshold: int, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        stored = [f"{rng.getrandbits(256):064x}" for _ in range(size)]
        rss_before = _rss_mb()
        started = time.perf_counter()
        index = PdqIndex(enumerate(stored, start=1), threshold=threshold)
        build = time.perf_counter() - started
        rss_after = _rss_mb()

        # Planted near copies at distances up to the threshold (recall), and random misses.
        planted = rng.sample(range(size), min(n_queries, size))
        near = [
            _flip(stored[i], rng.sample(range(256), rng.randint(0, threshold))) for i in planted
        ]
        misses = [f"{rng.getrandbits(256):064x}" for _ in range(n_queries)]

        started = time.perf_counter()
        answers = [index.query([q])[0] for q in near]
        one_by_one = (time.perf_counter() - started) / len(near)
        started = time.perf_counter()
        index.query(misses)
        batched = (time.perf_counter() - started) / len(misses)
        # A media item is looked up with its 8 rotations and flips (matching.pdq_queries): one
        # call with 8 hashes per item, as the matcher makes for a report alone.
        dihedral = [[q, *(f"{rng.getrandbits(256):064x}" for _ in range(7))] for q in near]
        started = time.perf_counter()
        for hashes in dihedral:
            index.query(hashes)
        per_media = (time.perf_counter() - started) / len(dihedral)

        found = sum(
            1
            for i, q, hits in zip(planted, near, answers, strict=True)
            if (i + 1, pdq_distance(stored[i], q)) in hits
        )
        kind = type(index._inner).__name__
        self.stdout.write(
            f"{size:>9,} hashes  {kind}  threshold {threshold}: build {build:.2f} s, "
            f"lookup {one_by_one * 1000:.3f} ms one at a time, "
            f"{batched * 1000:.3f} ms each in a batch of {len(misses)}, "
            f"{per_media * 1000:.3f} ms a media item (8 dihedral hashes), "
            f"recall {found}/{len(near)}, max RSS +{rss_after - rss_before:.0f} MB "
            f"(total {rss_after:.0f} MB)"
        )
