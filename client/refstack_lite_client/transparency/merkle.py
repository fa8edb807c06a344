"""RFC 9162 §2.1 Merkle trees: hashes, roots, inclusion and consistency proofs, and their checks.

A tree is named by its size; a *subtree* by the half-open range ``(start, end)`` of its leaves,
whose hash is MTH(D[start:end]). Proofs are first worked out as the ranges whose hashes they
hold (``*_proof_ranges``), with no hashing, so a server that keeps the tree in a database fetches
only those hashes. Every range a proof names starts at a multiple of the power of two at least its
length, so its hash folds together at most log2(size) *complete* subtrees (``2**j`` leaves starting
at a multiple of ``2**j``): a server that stores each complete subtree's hash as appends complete
it (``subtrees_completed_by_append``, about two rows per leaf) computes a proof of a tree of 10**6
leaves from about 2 * log2(size) = 40 stored hashes (``subtree_hash_from_complete``), never
holding the leaves in memory.

The checks follow the RFC's verification algorithms (§2.1.3.2 and §2.1.4.2) step by step and
raise ``InclusionProofError`` or ``ConsistencyProofError`` saying what did not hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = SHA-256()

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

SubtreeHash = Callable[[int, int], bytes]
"""``subtree_hash(start, end)``: MTH(D[start:end]) of a tree's leaves, for ``0 <= start < end``."""


class ProofError(ValueError):
    """A Merkle proof that does not prove what it claims."""


class InclusionProofError(ProofError):
    """An inclusion proof that does not put the leaf at its index in the tree with the given root."""


class ConsistencyProofError(ProofError):
    """A consistency proof that does not show the older tree to be a prefix of the newer one."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data), the hash of one log entry."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the hash of an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size >= 2``): where MTH splits a tree."""
    if size < 2:
        raise ValueError(f"a tree of {size} leaves has no split point")
    return 1 << ((size - 1).bit_length() - 1)


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of the leaves with these hashes, streamed: memory grows with log2 of their number."""
    # The right edge of the tree so far: complete subtrees as (leaf count, hash), counts decreasing.
    edge: list[tuple[int, bytes]] = []
    for position, hash_ in enumerate(leaf_hashes):
        _require_hash(hash_, f"leaf hash {position}", ValueError)
        count, merged = 1, hash_
        while edge and edge[-1][0] == count:
            left_count, left = edge.pop()
            count, merged = left_count + count, node_hash(left, merged)
        edge.append((count, merged))
    if not edge:
        return EMPTY_ROOT
    root = edge[-1][1]
    for _, left in reversed(edge[:-1]):
        root = node_hash(left, root)
    return root


def subtree_hash_from_leaves(leaf_hashes: Sequence[bytes]) -> SubtreeHash:
    """A ``SubtreeHash`` that hashes the leaves each time (for trees small enough to hold)."""

    def subtree_hash(start: int, end: int) -> bytes:
        _require_range(start, end, len(leaf_hashes))
        return root_from_leaves(leaf_hashes[position] for position in range(start, end))

    return subtree_hash


def is_complete_subtree(start: int, end: int) -> bool:
    """Whether ``[start, end)`` is a complete subtree: ``2**j`` leaves from a multiple of ``2**j``."""
    length = end - start
    return length > 0 and length & (length - 1) == 0 and start % length == 0


def subtree_hash_from_complete(complete_hash: SubtreeHash) -> SubtreeHash:
    """A ``SubtreeHash`` built from the hashes of complete subtrees only.

    ``complete_hash(start, end)`` is called only for complete subtrees (``is_complete_subtree``),
    which is what a server stores; any other range is split as MTH splits it. For the ranges that
    proofs and roots name, that is at most log2(size) calls per range.
    """

    def subtree_hash(start: int, end: int) -> bytes:
        if end <= start or start < 0:
            raise ValueError(f"[{start}, {end}) is not a range of leaves")
        if is_complete_subtree(start, end):
            return complete_hash(start, end)
        middle = start + split_point(end - start)
        return node_hash(subtree_hash(start, middle), subtree_hash(middle, end))

    return subtree_hash


def subtrees_completed_by_append(size: int) -> list[tuple[int, int]]:
    """The complete subtrees that appending leaf ``size - 1`` completes, smallest (the leaf) first.

    Each one's hash is ``node_hash`` of its two halves, both complete and stored before it.
    """
    if size < 1:
        raise ValueError(f"a tree of {size} leaves has no last leaf")
    completed = []
    length = 1
    while size % length == 0:
        completed.append((size - length, size))
        length *= 2
    return completed


def frontier_ranges(size: int) -> list[tuple[int, int]]:
    """The complete subtrees a tree of ``size`` leaves splits into, largest (leftmost) first: one
    per bit set in ``size``. Their hashes (the *frontier*, or compact range) are all an appender
    needs to extend the tree and compute its root."""
    if size < 0:
        raise ValueError(f"a tree cannot have {size} leaves")
    ranges = []
    start = 0
    for bit in reversed(range(size.bit_length())):
        length = 1 << bit
        if size & length:
            ranges.append((start, start + length))
            start += length
    return ranges


def frontier_root(size: int, frontier: Sequence[bytes]) -> bytes:
    """MTH of a tree of ``size`` leaves from its frontier (``frontier_ranges``' hashes, in order)."""
    ranges = frontier_ranges(size)
    if len(frontier) != len(ranges):
        raise ValueError(f"a tree of {size} leaves has a frontier of {len(ranges)} hashes, not {len(frontier)}")
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for hash_ in reversed(frontier[:-1]):
        root = node_hash(hash_, root)
    return root


def frontier_append(size: int, frontier: Sequence[bytes], leaf: bytes) -> tuple[list[bytes], list[bytes]]:
    """Append the leaf hash ``leaf`` to the tree of ``size`` leaves with this frontier.

    Returns the new frontier and the hashes of the subtrees the append completes, in the order
    of ``subtrees_completed_by_append(size + 1)`` (the leaf first).
    """
    if len(frontier) != size.bit_count():
        raise ValueError(f"a tree of {size} leaves has a frontier of {size.bit_count()} hashes, not {len(frontier)}")
    kept = list(frontier)
    completed = [leaf]
    hash_ = leaf
    length = 1
    while size & length:  # the smallest subtree so far has the new one's size: they merge
        hash_ = node_hash(kept.pop(), hash_)
        completed.append(hash_)
        length <<= 1
    kept.append(hash_)
    return kept, completed


def tree_root(size: int, subtree_hash: SubtreeHash) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size < 0:
        raise ValueError(f"a tree cannot have {size} leaves")
    return subtree_hash(0, size) if size else EMPTY_ROOT


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes make PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf end first."""
    if size < 1 or not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        middle = start + split_point(end - start)
        if index < middle:  # PATH(m, D[0:k]) : MTH(D[k:n])
            ranges.append((middle, end))
            end = middle
        else:  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def consistency_proof_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes make PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1).

    Empty when ``old_size`` is 0 or equals ``new_size``: those need no proof.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"a tree of {old_size} leaves cannot be a prefix of one of {new_size}")
    if old_size in (0, new_size):
        return []
    ranges = []
    start, end = 0, new_size
    whole_old_tree = True  # SUBPROOF's b: the old tree is the subtree being descended
    while end != old_size:
        middle = start + split_point(end - start)
        if old_size <= middle:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            ranges.append((middle, end))
            end = middle
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            ranges.append((start, middle))
            start = middle
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def inclusion_proof_from(index: int, size: int, subtree_hash: SubtreeHash) -> list[bytes]:
    """PATH(index, D[size]) from subtree hashes."""
    return [subtree_hash(start, end) for start, end in inclusion_proof_ranges(index, size)]


def consistency_proof_from(old_size: int, new_size: int, subtree_hash: SubtreeHash) -> list[bytes]:
    """PROOF(old_size, D[new_size]) from subtree hashes."""
    return [subtree_hash(start, end) for start, end in consistency_proof_ranges(old_size, new_size)]


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[size]) of the tree of the first ``size`` of these leaf hashes."""
    _require_leaves(size, leaf_hashes)
    return inclusion_proof_from(index, size, subtree_hash_from_leaves(leaf_hashes))


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of the tree of the first ``new_size`` of these leaf hashes."""
    _require_leaves(new_size, leaf_hashes)
    return consistency_proof_from(old_size, new_size, subtree_hash_from_leaves(leaf_hashes))


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from the leaf: RFC 9162 §2.1.3.2 up to comparing roots."""
    error = InclusionProofError
    if not 0 <= index < size:
        raise error(f"leaf index {index} is not in a tree of {size} leaves")
    _require_hash(leaf_hash, "the leaf hash", error)
    for position, hash_ in enumerate(proof):
        _require_hash(hash_, f"proof hash {position}", error)
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise error(_wrong_length(proof, f"leaf {index} of a tree of {size}", inclusion_proof_ranges(index, size)))
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise error(_wrong_length(proof, f"leaf {index} of a tree of {size}", inclusion_proof_ranges(index, size)))
    return r


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that the leaf is at ``index`` in the tree of ``size`` leaves with this root (§2.1.3.2)."""
    _require_hash(root, "the root", InclusionProofError)
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if computed != root:
        raise InclusionProofError(
            f"the proof of leaf {index} leads to root {computed.hex()}, not to the tree of {size}'s root {root.hex()}"
        )


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of the tree of ``new_size``
    with ``new_root`` (RFC 9162 §2.1.4.2).

    The RFC's algorithm covers ``0 < old_size < new_size``. Equal sizes need an empty proof and equal
    roots; an old empty tree needs an empty proof and the empty tree's root.
    """
    error = ConsistencyProofError
    _require_hash(old_root, "the old root", error)
    _require_hash(new_root, "the new root", error)
    for position, hash_ in enumerate(proof):
        _require_hash(hash_, f"proof hash {position}", error)
    if not 0 <= old_size <= new_size:
        raise error(f"a tree of {old_size} leaves cannot be a prefix of one of {new_size}")
    what = f"a tree of {old_size} leaves and one of {new_size}"
    if old_size == 0 or old_size == new_size:
        if proof:
            raise error(_wrong_length(proof, what, []))
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise error(f"the old root {old_root.hex()} is not the empty tree's root {EMPTY_ROOT.hex()}")
        if old_size == new_size and old_root != new_root:
            raise error(
                f"two different roots for the same tree of {new_size} leaves: {old_root.hex()}, {new_root.hex()}"
            )
        return
    # 1. An empty proof fails.
    if not proof:
        raise error(_wrong_length(proof, what, consistency_proof_ranges(old_size, new_size)))
    # 2. When the old size is a power of two, the old root is the proof's implicit first hash.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3., 4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5., 6.
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise error(_wrong_length(proof, what, consistency_proof_ranges(old_size, new_size)))
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # 7.
    if sn != 0:
        raise error(_wrong_length(proof, what, consistency_proof_ranges(old_size, new_size)))
    if fr != old_root:
        raise error(f"the proof leads to old root {fr.hex()}, not to the tree of {old_size}'s root {old_root.hex()}")
    if sr != new_root:
        raise error(f"the proof leads to new root {sr.hex()}, not to the tree of {new_size}'s root {new_root.hex()}")


def _require_hash(value: bytes, what: str, error: type[ValueError]) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        length = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise error(f"{what} is {length}, not a {HASH_SIZE}-byte SHA-256 hash")


def _wrong_length(proof: Sequence[bytes], what: str, ranges: list[tuple[int, int]]) -> str:
    return f"the proof has {len(proof)} hashes; one for {what} has {len(ranges)}"


def _require_range(start: int, end: int, count: int) -> None:
    if not 0 <= start < end <= count:
        raise ValueError(f"[{start}, {end}) is not a range of leaves of a tree of {count}")


def _require_leaves(size: int, leaf_hashes: Sequence[bytes]) -> None:
    if size > len(leaf_hashes):
        raise ValueError(f"a tree of {size} leaves needs {size} leaf hashes, not {len(leaf_hashes)}")
