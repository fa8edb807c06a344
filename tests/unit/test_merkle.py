"""The RFC 9162 Merkle tree against published vectors and against the RFC's definitions written
out recursively here; proofs from stored complete subtrees equal proofs from the leaves; bad
proofs and bad arguments are refused with a message that says why."""

from __future__ import annotations

import hashlib

import pytest
from refstack_lite_client.transparency import merkle
from refstack_lite_client.transparency.merkle import (
    EMPTY_ROOT,
    ConsistencyProofError,
    InclusionProofError,
    ProofError,
    consistency_proof,
    consistency_proof_from,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_from,
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaves,
    subtree_hash_from_complete,
    subtrees_completed_by_append,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def h(hex_: str) -> bytes:
    return bytes.fromhex(hex_)


# The standard test tree of the Certificate Transparency reference implementations: leaf inputs,
# roots of the trees of their first 1..8 leaves, and inclusion and consistency proofs, copied from
# transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes), testonly/reference_test.go
# (TestRefInclusionProof, TestRefConsistencyProof) and proof/verify_test.go (inclusionProofs,
# consistencyProofs; 1-based leaf numbers there, 0-based indices here); the same numbers are in
# google/certificate-transparency cpp/merkletree/merkle_tree_test.cc (kInputs, kSHA256Roots,
# kSHA256Paths, kSHA256Proofs).
LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
EMPTY_TREE_ROOT = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]  # ROOTS[n - 1] is the root of the tree of the first n leaves
# testonly/constants.go NodeHashes level 0: the leaf hashes
LEAF_HASHES = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
]
INCLUSION_VECTORS = [  # (index, size, proof)
    (0, 1, []),
    (0, 2, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")]),
    (1, 2, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
CONSISTENCY_VECTORS = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")  # proof/verify_test.go


# The RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 definitions, written as the RFC states them.
def reference_mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + reference_mth(entries[:k]) + reference_mth(entries[k:])).digest()


def reference_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*reference_path(m, entries[:k]), reference_mth(entries[k:])]
    return [*reference_path(m - k, entries[k:]), reference_mth(entries[:k])]


def reference_subproof(m: int, entries: list[bytes], b: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if b else [reference_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*reference_subproof(m, entries[:k], b), reference_mth(entries[k:])]
    return [*reference_subproof(m - k, entries[k:], False), reference_mth(entries[:k])]


def reference_proof(m: int, entries: list[bytes]) -> list[bytes]:
    return reference_subproof(m, entries, True)


def complete_subtree_store(leaf_hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """What a server keeps: every complete subtree's hash, stored as appends complete it."""
    store: dict[tuple[int, int], bytes] = {}
    for size in range(1, len(leaf_hashes) + 1):
        for start, end in subtrees_completed_by_append(size):
            if end - start == 1:
                store[start, end] = leaf_hashes[start]
            else:
                middle = (start + end) // 2
                store[start, end] = node_hash(store[start, middle], store[middle, end])
    return store


STANDARD_LEAF_HASHES = [leaf_hash(data) for data in LEAF_INPUTS]


def test_leaf_hashes_and_the_empty_root_are_the_published_ones() -> None:
    assert STANDARD_LEAF_HASHES == LEAF_HASHES
    assert EMPTY_ROOT == EMPTY_TREE_ROOT == root_from_leaves([])


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_standard_tree(size: int) -> None:
    assert root_from_leaves(STANDARD_LEAF_HASHES[:size]) == ROOTS[size - 1]
    assert root_from_leaves(iter(STANDARD_LEAF_HASHES[:size])) == ROOTS[size - 1]
    store = complete_subtree_store(STANDARD_LEAF_HASHES)
    assert tree_root(size, subtree_hash_from_complete(lambda start, end: store[start, end])) == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_vectors_are_made_and_verify(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(index, size, STANDARD_LEAF_HASHES) == proof
    verify_inclusion(STANDARD_LEAF_HASHES[index], index, size, proof, ROOTS[size - 1])


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors_are_made_and_verify(old_size: int, new_size: int, proof: list[bytes]) -> None:
    assert consistency_proof(old_size, new_size, STANDARD_LEAF_HASHES) == proof
    verify_consistency(old_size, new_size, ROOTS[old_size - 1], ROOTS[new_size - 1], proof)


def inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes) -> dict[str, tuple[object, ...]]:
    """The corruptions of proof/verify_test.go's corruptInclusionProof that make sense for Python."""
    leaf = STANDARD_LEAF_HASHES[index]
    probes: dict[str, tuple[object, ...]] = {
        "index + 1": (leaf, index + 1, size, proof, root),
        "index ^ 2": (leaf, index ^ 2, size, proof, root),
        "size * 2": (leaf, index, size * 2, proof, root),
        "wrong leaf": (leaf_hash(b"WrongLeaf"), index, size, proof, root),
        "empty root": (leaf, index, size, proof, EMPTY_ROOT),
        "some root": (leaf, index, size, proof, SOME_HASH),
        "trailing garbage": (leaf, index, size, [*proof, b""], root),
        "trailing root": (leaf, index, size, [*proof, root], root),
        "preceding garbage": (leaf, index, size, [b"", *proof], root),
        "preceding root": (leaf, index, size, [root, *proof], root),
    }
    if index > 0:
        probes["index - 1"] = (leaf, index - 1, size, proof, root)
    if size > 1:
        probes["size / 2"] = (leaf, index, size // 2, proof, root)
    for position in range(len(proof)):
        flipped = bytes([proof[position][0] ^ 8]) + proof[position][1:]
        probes[f"proof[{position}] bit 3"] = (
            leaf,
            index,
            size,
            [*proof[:position], flipped, *proof[position + 1 :]],
            root,
        )
    if proof:
        probes["removed component"] = (leaf, index, size, proof[:-1], root)
    if len(proof) > 1:
        probes["inserted component"] = (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root)
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_corrupted_inclusion_vectors_fail(index: int, size: int, proof: list[bytes]) -> None:
    verified = []
    for name, arguments in inclusion_probes(index, size, proof, ROOTS[size - 1]).items():
        try:
            verify_inclusion(*arguments)  # type: ignore[arg-type]
        except InclusionProofError:
            continue
        verified.append(name)
    assert verified == []


@pytest.mark.parametrize(("old_size", "new_size", "proof"), [vector for vector in CONSISTENCY_VECTORS if vector[2]])
def test_corrupted_consistency_vectors_fail(old_size: int, new_size: int, proof: list[bytes]) -> None:
    old_root, new_root = ROOTS[old_size - 1], ROOTS[new_size - 1]
    probes: dict[str, tuple[object, ...]] = {
        "old size - 1": (old_size - 1, new_size, old_root, new_root, proof),
        "old size + 1": (old_size + 1, new_size, old_root, new_root, proof),
        "old size ^ 2": (old_size ^ 2, new_size, old_root, new_root, proof),
        "new size * 2": (old_size, new_size * 2, old_root, new_root, proof),
        "new size / 2": (old_size, new_size // 2, old_root, new_root, proof),
        "wrong old root": (old_size, new_size, SOME_HASH, new_root, proof),
        "wrong new root": (old_size, new_size, old_root, SOME_HASH, proof),
        "swapped roots": (old_size, new_size, new_root, old_root, proof),
        "empty proof": (old_size, new_size, old_root, new_root, []),
        "trailing garbage": (old_size, new_size, old_root, new_root, [*proof, b""]),
        "trailing old root": (old_size, new_size, old_root, new_root, [*proof, old_root]),
        "trailing new root": (old_size, new_size, old_root, new_root, [*proof, new_root]),
        "preceding garbage": (old_size, new_size, old_root, new_root, [b"", *proof]),
        "preceding old root": (old_size, new_size, old_root, new_root, [old_root, *proof]),
        "preceding new root": (old_size, new_size, old_root, new_root, [new_root, *proof]),
        "preceding proof[0]": (old_size, new_size, old_root, new_root, [proof[0], *proof]),
        "truncated": (old_size, new_size, old_root, new_root, proof[:-1]),
    }
    for position in range(len(proof)):
        flipped = bytes([proof[position][0] ^ 16]) + proof[position][1:]
        probes[f"proof[{position}] bit 4"] = (
            old_size,
            new_size,
            old_root,
            new_root,
            [*proof[:position], flipped, *proof[position + 1 :]],
        )
    verified = []
    for name, arguments in probes.items():
        try:
            verify_consistency(*arguments)  # type: ignore[arg-type]
        except ConsistencyProofError:
            continue
        verified.append(name)
    assert verified == []


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 100, 127, 128, 129])
def test_agrees_with_the_rfc_definitions(size: int) -> None:
    entries = [f"entry {position}".encode() for position in range(size)]
    hashes = [leaf_hash(entry) for entry in entries]
    assert root_from_leaves(hashes) == reference_mth(entries)
    store = complete_subtree_store(hashes)
    from_store = subtree_hash_from_complete(lambda start, end: store[start, end])
    for index in range(size):
        assert inclusion_proof(index, size, hashes) == reference_path(index, entries)
        assert inclusion_proof_from(index, size, from_store) == reference_path(index, entries)
    for old_size in range(1, size):
        assert consistency_proof(old_size, size, hashes) == reference_proof(old_size, entries)
        assert consistency_proof_from(old_size, size, from_store) == reference_proof(old_size, entries)
    for prefix in range(size + 1):
        assert tree_root(prefix, from_store) == reference_mth(entries[:prefix])


def test_every_proof_of_the_standard_tree_verifies() -> None:
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(index, size, STANDARD_LEAF_HASHES)
            verify_inclusion(STANDARD_LEAF_HASHES[index], index, size, proof, ROOTS[size - 1])
        for old_size in range(1, size + 1):
            proof = consistency_proof(old_size, size, STANDARD_LEAF_HASHES)
            verify_consistency(old_size, size, ROOTS[old_size - 1], ROOTS[size - 1], proof)


def test_every_single_byte_change_of_a_proof_fails() -> None:
    hashes = [leaf_hash(bytes([position])) for position in range(21)]
    root = root_from_leaves(hashes)
    for index in range(21):
        proof = inclusion_proof(index, 21, hashes)
        for position, element in enumerate(proof):
            for byte in range(32):
                changed = element[:byte] + bytes([element[byte] ^ 0x01]) + element[byte + 1 :]
                with pytest.raises(InclusionProofError):
                    verify_inclusion(
                        hashes[index], index, 21, [*proof[:position], changed, *proof[position + 1 :]], root
                    )
    for old_size in range(1, 21):
        proof = consistency_proof(old_size, 21, hashes)
        old_root = root_from_leaves(hashes[:old_size])
        for position, element in enumerate(proof):
            for byte in range(32):
                changed = element[:byte] + bytes([element[byte] ^ 0x80]) + element[byte + 1 :]
                with pytest.raises(ConsistencyProofError):
                    verify_consistency(
                        old_size, 21, old_root, root, [*proof[:position], changed, *proof[position + 1 :]]
                    )


def test_a_tree_of_a_million_leaves_needs_few_stored_hashes_per_proof() -> None:
    size = 1_000_003
    asked: list[tuple[int, int]] = []

    def stored(start: int, end: int) -> bytes:
        assert merkle.is_complete_subtree(start, end), (start, end)
        asked.append((start, end))
        return start.to_bytes(16, "big") + end.to_bytes(16, "big")

    from_store = subtree_hash_from_complete(stored)
    for index in (0, 1, 524_287, 999_999, size - 1):
        asked.clear()
        proof = inclusion_proof_from(index, size, from_store)
        assert len(proof) == len(inclusion_proof_ranges(index, size)) <= size.bit_length()
        assert len(asked) <= 2 * size.bit_length()
    for old_size in (1, 3, 65_536, 999_999, size - 1):
        asked.clear()
        proof = consistency_proof_from(old_size, size, from_store)
        assert len(proof) == len(consistency_proof_ranges(old_size, size)) <= size.bit_length() + 1
        assert len(asked) <= 2 * size.bit_length()
    asked.clear()
    tree_root(size, from_store)
    assert len(asked) == bin(size).count("1")


def test_appends_complete_subtrees_smallest_first() -> None:
    assert subtrees_completed_by_append(1) == [(0, 1)]
    assert subtrees_completed_by_append(6) == [(5, 6), (4, 6)]
    assert subtrees_completed_by_append(8) == [(7, 8), (6, 8), (4, 8), (0, 8)]
    assert subtrees_completed_by_append(9) == [(8, 9)]
    with pytest.raises(ValueError, match="a tree of 0 leaves has no last leaf"):
        subtrees_completed_by_append(0)


def test_proof_ranges_name_the_subtrees_of_the_rfc() -> None:
    assert inclusion_proof_ranges(5, 8) == [(4, 5), (6, 8), (0, 4)]
    assert inclusion_proof_ranges(6, 7) == [(4, 6), (0, 4)]
    assert consistency_proof_ranges(6, 8) == [(4, 6), (6, 8), (0, 4)]
    assert consistency_proof_ranges(4, 8) == [(4, 8)]
    assert consistency_proof_ranges(0, 8) == consistency_proof_ranges(8, 8) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: inclusion_proof_ranges(8, 8), "leaf index 8 is not in a tree of 8 leaves"),
        (lambda: inclusion_proof_ranges(-1, 8), "leaf index -1 is not in a tree of 8 leaves"),
        (lambda: inclusion_proof_ranges(0, 0), "leaf index 0 is not in a tree of 0 leaves"),
        (lambda: consistency_proof_ranges(9, 8), "a tree of 9 leaves cannot be a prefix of one of 8"),
        (lambda: consistency_proof_ranges(-1, 8), "a tree of -1 leaves cannot be a prefix of one of 8"),
        (lambda: inclusion_proof(0, 9, STANDARD_LEAF_HASHES), "a tree of 9 leaves needs 9 leaf hashes, not 8"),
        (lambda: consistency_proof(1, 9, STANDARD_LEAF_HASHES), "a tree of 9 leaves needs 9 leaf hashes, not 8"),
        (lambda: root_from_leaves([b"short"]), "leaf hash 0 is 5 bytes, not a 32-byte SHA-256 hash"),
        (lambda: tree_root(-1, lambda start, end: b""), "a tree cannot have -1 leaves"),
        (lambda: merkle.split_point(1), "a tree of 1 leaves has no split point"),
        (lambda: subtree_hash_from_complete(lambda start, end: b"")(3, 3), r"\[3, 3\) is not a range of leaves"),
        (
            lambda: merkle.subtree_hash_from_leaves(LEAF_HASHES)(0, 9),
            r"\[0, 9\) is not a range of leaves of a tree of 8",
        ),
    ],
)
def test_bad_arguments_are_refused(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_inclusion_refusals_say_why() -> None:
    proof = INCLUSION_VECTORS[-1][2]  # leaf 5 of 8
    leaf, root = LEAF_HASHES[5], ROOTS[7]
    with pytest.raises(InclusionProofError, match="leaf index 8 is not in a tree of 8 leaves"):
        verify_inclusion(leaf, 8, 8, proof, root)
    with pytest.raises(InclusionProofError, match="leaf index 0 is not in a tree of 0 leaves"):
        verify_inclusion(leaf, 0, 0, [], root)
    with pytest.raises(InclusionProofError, match="the proof has 2 hashes; one for leaf 5 of a tree of 8 has 3"):
        verify_inclusion(leaf, 5, 8, proof[:2], root)
    with pytest.raises(InclusionProofError, match="the proof has 4 hashes; one for leaf 5 of a tree of 8 has 3"):
        verify_inclusion(leaf, 5, 8, [*proof, root], root)
    with pytest.raises(InclusionProofError, match="proof hash 1 is 31 bytes, not a 32-byte SHA-256 hash"):
        verify_inclusion(leaf, 5, 8, [proof[0], proof[1][1:], proof[2]], root)
    with pytest.raises(InclusionProofError, match="proof hash 0 is str, not a 32-byte SHA-256 hash"):
        verify_inclusion(leaf, 5, 8, [proof[0].hex(), proof[1], proof[2]], root)  # type: ignore[list-item]
    with pytest.raises(InclusionProofError, match="the leaf hash is 0 bytes"):
        verify_inclusion(b"", 5, 8, proof, root)
    with pytest.raises(InclusionProofError, match="the root is 9 bytes"):
        verify_inclusion(leaf, 5, 8, proof, b"WrongRoot")
    with pytest.raises(
        InclusionProofError, match=f"leads to root {root.hex()}, not to the tree of 8's root {SOME_HASH.hex()}"
    ):
        verify_inclusion(leaf, 5, 8, proof, SOME_HASH)
    assert root_from_inclusion_proof(leaf, 5, 8, proof) == root
    # The single-leaf tree: its root is the leaf's hash and the proof is empty (proof/verify_test.go).
    single = leaf_hash(b"data")
    verify_inclusion(single, 0, 1, [], single)
    with pytest.raises(InclusionProofError):
        verify_inclusion(single, 0, 1, [], SOME_HASH)


def test_consistency_edge_cases_follow_the_reference_verifier() -> None:
    """proof/verify_test.go TestVerifyConsistency, with a root of the right size for "don't care"."""
    some, other = SOME_HASH, ROOTS[0]
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 1, EMPTY_ROOT, other, [])
    verify_consistency(1, 1, other, other, [])
    refusals = [
        ((0, 0, some, other, []), "the old root .* is not the empty tree's root"),
        ((1, 1, some, other, []), "two different roots for the same tree of 1 leaves"),
        ((1, 0, some, other, []), "a tree of 1 leaves cannot be a prefix of one of 0"),
        ((2, 1, some, other, []), "a tree of 2 leaves cannot be a prefix of one of 1"),
        ((1, 2, some, other, []), "the proof has 0 hashes; one for a tree of 1 leaves and one of 2 has 1"),
        (
            (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
            "the proof has 1 hashes; one for a tree of 0 leaves and one of 0 has 0",
        ),
        (
            (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
            "the proof has 1 hashes; one for a tree of 0 leaves and one of 1 has 0",
        ),
        (
            (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),
            "the proof has 1 hashes; one for a tree of 1 leaves and one of 1 has 0",
        ),
        ((1, 1, b"don't care", b"don't care", []), "the old root is 10 bytes"),
        (
            (6, 8, ROOTS[5], ROOTS[7], CONSISTENCY_VECTORS[2][2][:2]),
            "the proof has 2 hashes; one for a tree of 6 leaves and one of 8 has 3",
        ),
        (
            (6, 8, ROOTS[5], SOME_HASH, CONSISTENCY_VECTORS[2][2]),
            f"leads to new root {ROOTS[7].hex()}, not to the tree of 8's root",
        ),
        (
            (6, 8, SOME_HASH, ROOTS[7], CONSISTENCY_VECTORS[2][2]),
            f"leads to old root {ROOTS[5].hex()}, not to the tree of 6's root",
        ),
    ]
    for arguments, message in refusals:
        with pytest.raises(ConsistencyProofError, match=message):
            verify_consistency(*arguments)


def test_proof_errors_are_value_errors_of_their_own_kind() -> None:
    assert issubclass(InclusionProofError, ProofError)
    assert issubclass(ConsistencyProofError, ProofError)
    assert issubclass(ProofError, ValueError)
