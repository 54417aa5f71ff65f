"""
RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification. Pure Python, no Django.

Hashing (RFC 9162 section 2.1.1)
    leaf hash  = SHA-256(0x00 || leaf bytes)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256("")                         (the empty tree)
    MTH(D[n])  = node hash(MTH(D[0:k]), MTH(D[k:n]))  k = largest power of two < n

Storage model
    A log keeps the hash of every *perfect aligned subtree* once it is complete, keyed by
    (level, index): level 0 are the leaf hashes, and node (level, index) covers the leaves
    [index * 2**level, (index + 1) * 2**level). `get_node(level, index) -> bytes` reads one
    of them (raising LookupError, e.g. KeyError, when it is absent). Any range hash, inclusion
    proof or consistency proof then needs O(log n) reads. `perfect_nodes_for_append` tells
    the writer which nodes an append completes.

Proofs are the RFC 9162 section 2.1.3 / 2.1.4 proofs (the same as transparency-dev/merkle),
ordered from the leaf (or the old tree) towards the root. Verification follows
transparency-dev/merkle's `proof.VerifyInclusion` / `proof.VerifyConsistency` and raises
`ProofError` on any failure.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "GetNode",
    "MemoryTree",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "perfect_nodes_for_append",
    "range_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

GetNode = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof (or the sizes, hashes or roots given with it) does not verify."""


# --- hashing ----------------------------------------------------------------------------------
def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes] | Iterable[bytes]) -> bytes:
    """MTH of a list of leaf hashes (already hashed with `leaf_hash`). Linear, no recursion."""
    # Stack of (level, hash) of perfect subtrees, levels strictly decreasing.
    stack: list[tuple[int, bytes]] = []
    for h in leaf_hashes:
        level, current = 0, h
        while stack and stack[-1][0] == level:
            current = node_hash(stack.pop()[1], current)
            level += 1
        stack.append((level, current))
    if not stack:
        return EMPTY_ROOT
    result = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        result = node_hash(left, result)
    return result


# --- answering from stored perfect subtrees -----------------------------------------------------
def range_hash(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH(leaves[start:end]) from stored perfect nodes (O(log n) reads for tree subranges)."""
    if not 0 <= start <= end:
        raise ValueError(f"bad range [{start}, {end})")
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return get_node(level, start >> level)
    k = _largest_power_of_two_below(n)
    return node_hash(range_hash(start, start + k, get_node), range_hash(start + k, end, get_node))


def perfect_nodes_for_append(
    old_size: int, new_leaf_hashes: Sequence[bytes], get_node: GetNode
) -> list[tuple[int, int, bytes]]:
    """
    The perfect subtree hashes completed by appending `new_leaf_hashes` to a tree of
    `old_size` leaves, as (level, index, hash), including the new leaves themselves at
    level 0. `get_node` is only asked for nodes of the old tree (left siblings).
    """
    if old_size < 0:
        raise ValueError("old_size must be >= 0")
    # The right border of the tree as a stack of perfect subtrees, levels decreasing (the
    # `root` algorithm): old ones are read from `get_node` only when a new leaf completes
    # their parent. Each pop/combine is one new perfect node.
    border: list[tuple[int, int, bytes | None]] = [
        (lv, (old_size >> lv) - 1, None)
        for lv in reversed(range(old_size.bit_length()))
        if old_size >> lv & 1
    ]
    out: list[tuple[int, int, bytes]] = []
    sha256 = hashlib.sha256
    index = old_size
    for offset, h in enumerate(new_leaf_hashes):
        if len(h) != HASH_SIZE:
            raise ValueError(f"leaf hash {offset} is {len(h)} bytes, want {HASH_SIZE}")
        level, position, current = 0, index, h
        out.append((0, position, current))
        while position & 1:
            _, left_position, left = border.pop()
            if left is None:
                left = get_node(level, left_position)
            current = sha256(b"\x01" + left + current).digest()
            level, position = level + 1, position >> 1
            out.append((level, position, current))
        border.append((level, position, current))
        index += 1
    return out


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(index, D[0:size]), leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    proof: list[bytes] = []
    start, end, m = 0, size, index
    # Walk down from the root, collecting siblings; reverse at the end (leaf to root).
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if m < k:
            proof.append(range_hash(start + k, end, get_node))
            end = start + k
        else:
            proof.append(range_hash(start, start + k, get_node))
            start, m = start + k, m - k
    proof.reverse()
    return proof


def consistency_proof(old_size: int, new_size: int, get_node: GetNode) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(old_size, D[0:new_size]); empty when old_size is 0 or equal."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"bad sizes for a consistency proof: {old_size} -> {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while m != end - start:
        k = _largest_power_of_two_below(end - start)
        if m <= k:
            proof.append(range_hash(start + k, end, get_node))
            end = start + k
        else:
            proof.append(range_hash(start, start + k, get_node))
            start, m, complete = start + k, m - k, False
    if not complete:
        proof.append(range_hash(start, end, get_node))
    proof.reverse()
    return proof


# --- verification (transparency-dev/merkle proof/verify.go) ----------------------------------
def _check_hashes(proof: Sequence[bytes], what: str) -> list[bytes]:
    hashes = list(proof or [])
    for i, h in enumerate(hashes):
        if not isinstance(h, bytes | bytearray) or len(h) != HASH_SIZE:
            size = len(h) if isinstance(h, bytes | bytearray) else type(h).__name__
            raise ProofError(f"{what} proof element {i} is {size} bytes, want {HASH_SIZE}")
    return [bytes(h) for h in hashes]


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _match(calculated: bytes, expected: bytes, what: str) -> None:
    if not hmac.compare_digest(calculated, bytes(expected)):
        raise ProofError(
            f"{what} mismatch: calculated {calculated.hex()}, expected {bytes(expected).hex()}"
        )


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` yields for leaf hash `leaf` at `index` in a tree of `size`."""
    if index < 0 or size < 0:
        raise ProofError(f"negative index or size ({index}, {size})")
    if index >= size:
        raise ProofError(f"leaf index {index} is beyond the tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash is {len(leaf)} bytes, want {HASH_SIZE}")
    hashes = _check_hashes(proof, "inclusion")
    inner, border = _decomp_incl_proof(index, size)
    if len(hashes) != inner + border:
        raise ProofError(
            f"inclusion proof has {len(hashes)} hashes, want {inner + border} "
            f"for leaf {index} in a tree of size {size}"
        )
    result = _chain_inner(bytes(leaf), hashes[:inner], index)
    return _chain_border_right(result, hashes[inner:])


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf `leaf_hash` at `index` under `root`."""
    calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)
    _match(calculated, root, f"root of the tree of size {size}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows the new tree extends the old one."""
    hashes = _check_hashes(proof, "consistency")
    if old_size < 0 or new_size < 0:
        raise ProofError(f"negative tree size ({old_size}, {new_size})")
    if new_size < old_size:
        raise ProofError(f"new size {new_size} is smaller than old size {old_size}")
    if old_size == new_size:
        if hashes:
            raise ProofError("sizes are equal but the consistency proof is not empty")
        if old_size == 0:
            _match(bytes(old_root), EMPTY_ROOT, "old root of the empty tree")
        _match(bytes(new_root), bytes(old_root), f"roots of two trees of size {old_size}")
        return
    if old_size == 0:
        raise ProofError("consistency with the empty tree needs no proof and proves nothing")
    if not hashes:
        raise ProofError(f"empty consistency proof for sizes {old_size} -> {new_size}")

    # Now 0 < old_size < new_size.
    inner, border = _decomp_incl_proof(old_size - 1, new_size)
    shift = (old_size & -old_size).bit_length() - 1  # trailing zero bits of old_size
    inner -= shift
    # The proof starts with the hash of the subtree of size 2**shift, unless the old tree
    # is that very subtree (old_size a power of two), whose hash is the old root.
    if old_size == 1 << shift:
        seed, rest = bytes(old_root), hashes
    else:
        seed, rest = hashes[0], hashes[1:]
    want = len(hashes) - len(rest) + inner + border
    if len(hashes) != want:
        raise ProofError(
            f"consistency proof has {len(hashes)} hashes, want {want} "
            f"for sizes {old_size} -> {new_size}"
        )
    mask = (old_size - 1) >> shift
    old_calc = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _match(old_calc, old_root, f"old root (size {old_size})")
    new_calc = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    _match(new_calc, new_root, f"new root (size {new_size})")


# --- in memory --------------------------------------------------------------------------------
class MemoryTree:
    """A Merkle log held in a dict of perfect nodes; for tests and the offline verifier."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0
        self.extend(leaf_hashes)

    def __len__(self) -> int:
        return self.size

    def get_node(self, level: int, index: int) -> bytes:
        """The stored hash of perfect node (level, index); KeyError if not complete."""
        return self.nodes[(level, index)]

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        hashes = list(leaf_hashes)
        for level, index, h in perfect_nodes_for_append(self.size, hashes, self.get_node):
            self.nodes[(level, index)] = h
        self.size += len(hashes)

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash; return its index."""
        self.extend([leaf])
        return self.size - 1

    def append_data(self, data: bytes) -> int:
        """Append the leaf for `data` (hashed with `leaf_hash`); return its index."""
        return self.append(leaf_hash(data))

    def leaf(self, index: int) -> bytes:
        return self.get_node(0, index)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is beyond the tree size {self.size}")
        return range_hash(0, size, self.get_node)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        if size > self.size:
            raise ValueError(f"size {size} is beyond the tree size {self.size}")
        return inclusion_proof(index, size, self.get_node)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else new_size
        if new_size > self.size:
            raise ValueError(f"size {new_size} is beyond the tree size {self.size}")
        return consistency_proof(old_size, new_size, self.get_node)
