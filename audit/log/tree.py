"""The stored Merkle tree: its size, its perfect subtree hashes (AuditNode) and its root."""

from __future__ import annotations

import hashlib

from django.db.models import Max, Q

from audit import merkle
from audit.models import AuditLeaf, AuditNode


class StoredNodes:
    """`get_node(level, position)` over AuditNode rows, cached for one operation."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int], bytes] = {}

    def __call__(self, level: int, position: int) -> bytes:
        key = (level, position)
        if key not in self.cache:
            row = AuditNode.objects.filter(level=level, position=position).values_list(
                "hash", flat=True
            )
            found = row.first()
            if found is None:
                raise LookupError(f"no stored node at level {level}, position {position}")
            self.cache[key] = bytes(found)
        return self.cache[key]


def frontier(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees a tree of `size` leaves is made of, as (level, position)."""
    return [(lv, (size >> lv) - 1) for lv in range(size.bit_length()) if size >> lv & 1]


def load_frontier(size: int, get_node: StoredNodes) -> None:
    """
    Read in one query every stored node an append to a tree of `size` may need: a new
    subtree's left siblings are all among the perfect subtrees the old tree is made of.
    """
    wanted = frontier(size)
    if not wanted:
        return
    match = Q()
    for level, position in wanted:
        match |= Q(level=level, position=position)
    for level, position, h in AuditNode.objects.filter(match).values_list(
        "level", "position", "hash"
    ):
        get_node.cache[(level, position)] = bytes(h)


def tree_size() -> int:
    top = AuditLeaf.objects.aggregate(top=Max("leaf_index"))["top"]
    return 0 if top is None else top + 1


def last_sealed_event_id() -> int:
    """The highest event id in the log (0 when empty): a max over the leaves' unique index."""
    top = AuditLeaf.objects.aggregate(top=Max("event_id"))["top"]
    return top or 0


def root_at(size: int) -> bytes:
    if size == 0:
        return hashlib.sha256(b"").digest()
    return merkle.range_hash(0, size, StoredNodes())
