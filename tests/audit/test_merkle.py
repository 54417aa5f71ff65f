"""RFC 6962 Merkle tree: peer vectors, the reference tree, generated proofs, tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from audit import merkle
from audit.merkle import MemoryTree, ProofError

# Kept in the repository (see tests/data/README.md): a missing vector is a failure, not a skip,
# so the interoperability checks cannot silently stop running.
VECTORS = Path(__file__).resolve().parents[1] / "data" / "rfc6962"
MISSING = f"peer test vectors not found at {VECTORS}"


def _vector_files(kind: str) -> list:
    folder = VECTORS / kind
    files = sorted(folder.rglob("*.json")) if folder.is_dir() else []
    if not files:
        return [pytest.param(None, id="missing")]
    return [pytest.param(f, id=str(f.relative_to(VECTORS))) for f in files]


def _read_case(path: Path | None) -> dict:
    if path is None:
        pytest.fail(MISSING)
    return json.loads(path.read_text())


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(case: dict) -> list[bytes]:
    return [_b64(h) for h in case["proof"] or []]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.fixture(scope="module")
def reference() -> dict:
    path = VECTORS / "reference-tree.json"
    if not path.is_file():
        pytest.fail(MISSING)
    return json.loads(path.read_text())


# --- peer vectors ------------------------------------------------------------------------------
def test_vector_folders_present() -> None:
    assert VECTORS.is_dir(), MISSING
    for kind in ("inclusion", "consistency"):
        assert len(list((VECTORS / kind).rglob("*.json"))) > 50
    assert list((VECTORS / "inclusion" / "additional").rglob("*.json"))
    assert list((VECTORS / "consistency" / "additional").rglob("*.json"))


@pytest.mark.parametrize("path", _vector_files("inclusion"))
def test_inclusion_vector(path: Path | None) -> None:
    case = _read_case(path)

    def run() -> None:
        merkle.verify_inclusion(
            case["leafIdx"],
            case["treeSize"],
            _b64(case["leafHash"]),
            _proof(case),
            _b64(case["root"]),
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


@pytest.mark.parametrize("path", _vector_files("consistency"))
def test_consistency_vector(path: Path | None) -> None:
    case = _read_case(path)

    def run() -> None:
        merkle.verify_consistency(
            case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), _proof(case)
        )

    if case["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


def test_generated_proofs_equal_peer_happy_paths(reference: dict) -> None:
    """Our proofs are byte-identical to transparency-dev/merkle's on the reference tree."""
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in reference["leaf_inputs_hex"]]
    tree = MemoryTree(leaves)
    roots = [bytes.fromhex(h) for h in reference["root_hash_hex_by_size"]]
    compared = 0
    for path in sorted(VECTORS.rglob("happy-path.json")):
        case = json.loads(path.read_text())
        if "leafIdx" in case:
            size = case["treeSize"]
            if size <= len(leaves) and _b64(case["root"]) == roots[size]:
                assert tree.inclusion_proof(case["leafIdx"], size) == _proof(case), path
                compared += 1
        else:
            old, new = case["size1"], case["size2"]
            if new <= len(leaves) and _b64(case["root2"]) == roots[new]:
                assert tree.consistency_proof(old, new) == _proof(case), path
                compared += 1
    assert compared >= 5


# --- the reference tree ------------------------------------------------------------------------
def test_reference_tree_roots(reference: dict) -> None:
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in reference["leaf_inputs_hex"]]
    roots = [bytes.fromhex(h) for h in reference["root_hash_hex_by_size"]]
    assert len(roots) == len(leaves) + 1
    assert roots[0] == hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    for size, want in enumerate(roots):
        assert merkle.root(leaves[:size]) == want, size

    # Stored perfect nodes, appended in uneven batches, answer every prefix root.
    for batches in ([8], [1] * 8, [3, 2, 3], [5, 3], [2, 2, 4]):
        store: dict[tuple[int, int], bytes] = {}
        get_node = store.__getitem__
        size = 0
        for count in batches:
            batch = leaves[size : size + count]
            for level, index, h in merkle.perfect_nodes_for_append(
                size, batch, lambda lv, i, get=get_node: get((lv, i))
            ):
                assert (level, index) not in store
                store[(level, index)] = h
            size += count
            for n in range(size + 1):
                assert merkle.range_hash(0, n, lambda lv, i, get=get_node: get((lv, i))) == roots[n]
        # Exactly the perfect aligned subtrees of 8 leaves: 8 + 4 + 2 + 1.
        assert sorted(store) == sorted(
            [(0, i) for i in range(8)] + [(1, i) for i in range(4)] + [(2, 0), (2, 1), (3, 0)]
        )


def test_leaf_and_node_hash_prefixes() -> None:
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    left, right = b"L" * 32, b"R" * 32
    assert merkle.node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_perfect_nodes_are_the_stored_subtree_hashes() -> None:
    leaves = _leaves(37)
    tree = MemoryTree()
    for start, end in ((0, 5), (5, 6), (6, 16), (16, 37)):
        tree.extend(leaves[start:end])
    for (level, index), h in tree.nodes.items():
        width = 1 << level
        assert index * width + width <= 37
        assert h == merkle.root(leaves[index * width : (index + 1) * width])
    expected = sum(37 >> level for level in range(6))
    assert len(tree.nodes) == expected


def test_range_hash_any_range_and_log_reads() -> None:
    leaves = _leaves(24)
    tree = MemoryTree(leaves)
    for start in range(25):
        for end in range(start, 25):
            assert merkle.range_hash(start, end, tree.get_node) == merkle.root(leaves[start:end])


def test_proofs_need_logarithmic_reads() -> None:
    tree = MemoryTree(_leaves(1000))
    reads: list[tuple[int, int]] = []

    def get_node(level: int, index: int) -> bytes:
        reads.append((level, index))
        return tree.get_node(level, index)

    for index, size in ((777, 999), (0, 1000), (998, 999), (512, 1000)):
        reads.clear()
        merkle.inclusion_proof(index, size, get_node)
        assert len(reads) <= 2 * 10, (index, size, len(reads))
    for old, new in ((333, 999), (1, 1000), (998, 999), (511, 1000)):
        reads.clear()
        merkle.consistency_proof(old, new, get_node)
        assert len(reads) <= 3 * 10, (old, new, len(reads))
    reads.clear()
    merkle.range_hash(0, 999, get_node)
    assert len(reads) <= 10


def test_missing_node_raises_lookup_error() -> None:
    tree = MemoryTree(_leaves(3))
    with pytest.raises(LookupError):
        tree.get_node(1, 1)
    with pytest.raises(ValueError, match="beyond"):
        tree.root(4)
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_proof(3, 3, tree.get_node)
    with pytest.raises(ValueError, match="bad sizes"):
        merkle.consistency_proof(4, 3, tree.get_node)


# --- generated proofs --------------------------------------------------------------------------
MAX = 40


@pytest.fixture(scope="module")
def big_tree() -> tuple[list[bytes], MemoryTree, list[bytes]]:
    leaves = _leaves(MAX)
    tree = MemoryTree(leaves)
    roots = [merkle.root(leaves[:n]) for n in range(MAX + 1)]
    return leaves, tree, roots


def test_every_inclusion_proof_verifies_and_bit_flips_fail(big_tree) -> None:
    leaves, tree, roots = big_tree
    for size in range(1, MAX + 1):
        assert tree.root(size) == roots[size]
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            merkle.verify_inclusion(index, size, leaves[index], proof, roots[size])
            salt = index * 7 + size * 13
            for j in range(len(proof)):
                bad = [*proof]
                bad[j] = _flip(proof[j], (salt + j * 31) % 256)
                with pytest.raises(ProofError):
                    merkle.verify_inclusion(index, size, leaves[index], bad, roots[size])
            with pytest.raises(ProofError):
                merkle.verify_inclusion(
                    index, size, leaves[index], proof, _flip(roots[size], salt % 256)
                )
            with pytest.raises(ProofError):
                merkle.verify_inclusion(
                    index, size, _flip(leaves[index], salt % 256), proof, roots[size]
                )
            if proof:
                with pytest.raises(ProofError):
                    merkle.verify_inclusion(index, size, leaves[index], proof[:-1], roots[size])
            with pytest.raises(ProofError):
                merkle.verify_inclusion(index, size, leaves[index], [*proof, roots[0]], roots[size])
            if size > 1:
                other = (index + 1) % size
                with pytest.raises(ProofError):
                    merkle.verify_inclusion(other, size, leaves[index], proof, roots[size])
            with pytest.raises(ProofError):
                merkle.verify_inclusion(index, index, leaves[index], proof, roots[size])


def test_every_consistency_proof_verifies_and_bit_flips_fail(big_tree) -> None:
    _, tree, roots = big_tree
    for new in range(1, MAX + 1):
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            merkle.verify_consistency(old, new, roots[old], roots[new], proof)
            salt = old * 11 + new * 5
            for j in range(len(proof)):
                bad = [*proof]
                bad[j] = _flip(proof[j], (salt + j * 29) % 256)
                with pytest.raises(ProofError):
                    merkle.verify_consistency(old, new, roots[old], roots[new], bad)
            with pytest.raises(ProofError):
                merkle.verify_consistency(
                    old, new, _flip(roots[old], salt % 256), roots[new], proof
                )
            with pytest.raises(ProofError):
                merkle.verify_consistency(
                    old, new, roots[old], _flip(roots[new], salt % 256), proof
                )
            if old < new:
                with pytest.raises(ProofError):
                    merkle.verify_consistency(old, new, roots[old], roots[new], proof[:-1])
                with pytest.raises(ProofError):
                    merkle.verify_consistency(new, old, roots[new], roots[old], proof)
                with pytest.raises(ProofError):
                    merkle.verify_consistency(old, new, roots[new], roots[old], proof)
            with pytest.raises(ProofError):
                merkle.verify_consistency(old, new, roots[old], roots[new], [*proof, roots[0]])
    assert tree.consistency_proof(0, 10) == []
    assert tree.consistency_proof(10, 10) == []


@pytest.mark.parametrize(("index", "size"), [(0, 1), (5, 13), (0, 40), (39, 40), (31, 33)])
def test_inclusion_every_single_bit_flip_rejected(big_tree, index: int, size: int) -> None:
    leaves, tree, roots = big_tree
    proof = tree.inclusion_proof(index, size)
    for bit in range(256):
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, leaves[index], proof, _flip(roots[size], bit))
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, size, _flip(leaves[index], bit), proof, roots[size])
        for j in range(len(proof)):
            bad = [*proof]
            bad[j] = _flip(proof[j], bit)
            with pytest.raises(ProofError):
                merkle.verify_inclusion(index, size, leaves[index], bad, roots[size])


@pytest.mark.parametrize(("old", "new"), [(1, 2), (7, 40), (13, 31), (32, 40), (3, 4)])
def test_consistency_every_single_bit_flip_rejected(big_tree, old: int, new: int) -> None:
    _, tree, roots = big_tree
    proof = tree.consistency_proof(old, new)
    for bit in range(256):
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, new, _flip(roots[old], bit), roots[new], proof)
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, new, roots[old], _flip(roots[new], bit), proof)
        for j in range(len(proof)):
            bad = [*proof]
            bad[j] = _flip(proof[j], bit)
            with pytest.raises(ProofError):
                merkle.verify_consistency(old, new, roots[old], roots[new], bad)


def test_proof_error_messages_are_clear(big_tree) -> None:
    leaves, tree, roots = big_tree
    proof = tree.inclusion_proof(3, 10)
    with pytest.raises(ProofError, match=r"has 3 hashes, want 4"):
        merkle.verify_inclusion(3, 10, leaves[3], proof[:-1], roots[10])
    with pytest.raises(ProofError, match="beyond the tree size"):
        merkle.verify_inclusion(10, 10, leaves[3], proof, roots[10])
    with pytest.raises(ProofError, match="mismatch"):
        merkle.verify_inclusion(3, 10, leaves[4], proof, roots[10])
    with pytest.raises(ProofError, match="smaller than old size"):
        merkle.verify_consistency(5, 4, roots[5], roots[4], [])
    with pytest.raises(ProofError, match="proof element 0 is 31 bytes"):
        merkle.verify_consistency(4, 5, roots[4], roots[5], [b"x" * 31])
