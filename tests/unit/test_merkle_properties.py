"""Merkle proofs as properties of random trees: every proof the tree makes verifies, and any change
to a proof, to the leaf's index or to a tree size makes verification fail (a changed size with that
size's own root, unless the proof happens to be that size's proof too, as the empty proof is for
any old size of 0 or equal to the new one)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from refstack_lite_client.transparency.merkle import (
    ConsistencyProofError,
    InclusionProofError,
    SubtreeHash,
    consistency_proof,
    consistency_proof_from,
    inclusion_proof,
    inclusion_proof_from,
    leaf_hash,
    node_hash,
    subtree_hash_from_complete,
    subtrees_completed_by_append,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300
SETTINGS = settings(max_examples=200, deadline=None)


class Tree:
    """A log of distinct entries (a salt and the entry's position) kept as a server keeps it."""

    def __init__(self, salt: bytes, size: int) -> None:
        self.size = size
        self.leaves = [leaf_hash(salt + position.to_bytes(4, "big")) for position in range(MAX_SIZE + 1)]
        self.store: dict[tuple[int, int], bytes] = {}
        for grown in range(1, MAX_SIZE + 2):
            for start, end in subtrees_completed_by_append(grown):
                middle = (start + end) // 2
                self.store[start, end] = (
                    self.leaves[start]
                    if end - start == 1
                    else node_hash(self.store[start, middle], self.store[middle, end])
                )
        self.subtree_hash: SubtreeHash = subtree_hash_from_complete(lambda start, end: self.store[start, end])

    def root(self, size: int) -> bytes:
        return tree_root(size, self.subtree_hash)


trees = st.builds(Tree, st.binary(max_size=8), st.integers(min_value=1, max_value=MAX_SIZE))
hashes = st.binary(min_size=32, max_size=32)


def changed_byte(proof: list[bytes], data: st.DataObject) -> list[bytes]:
    position = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
    byte = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="xor mask")
    element = proof[position]
    changed = element[:byte] + bytes([element[byte] ^ mask]) + element[byte + 1 :]
    return [*proof[:position], changed, *proof[position + 1 :]]


@SETTINGS
@given(trees)
def test_every_leaf_has_an_inclusion_proof_that_verifies(tree: Tree) -> None:
    root = tree.root(tree.size)
    for index in range(tree.size):
        verify_inclusion(
            tree.leaves[index], index, tree.size, inclusion_proof_from(index, tree.size, tree.subtree_hash), root
        )


@SETTINGS
@given(trees, st.data())
def test_proofs_from_stored_subtrees_equal_proofs_from_the_leaves(tree: Tree, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, tree.size - 1), label="index")
    old_size = data.draw(st.integers(0, tree.size), label="old size")
    leaves = tree.leaves[: tree.size]
    assert inclusion_proof(index, tree.size, leaves) == inclusion_proof_from(index, tree.size, tree.subtree_hash)
    assert consistency_proof(old_size, tree.size, leaves) == consistency_proof_from(
        old_size, tree.size, tree.subtree_hash
    )


@SETTINGS
@given(trees, st.data())
def test_a_changed_inclusion_proof_fails(tree: Tree, data: st.DataObject) -> None:
    size = tree.size
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof_from(index, size, tree.subtree_hash)
    root, leaf = tree.root(size), tree.leaves[index]
    wrong: list[tuple[str, bytes, int, int, list[bytes], bytes]] = []
    other_index = data.draw(
        st.integers(0, size - 1).filter(lambda other: other != index) if size > 1 else st.none(), label="other index"
    )
    if other_index is not None:
        wrong.append(("index", leaf, other_index, size, proof, root))
        wrong.append(("leaf", tree.leaves[other_index], index, size, proof, root))
    other_size = data.draw(st.integers(index + 1, MAX_SIZE + 1).filter(lambda other: other != size), label="other size")
    if inclusion_proof_from(index, other_size, tree.subtree_hash) != proof:
        wrong.append(("size", leaf, index, other_size, proof, tree.root(other_size)))
    extra = data.draw(hashes, label="extra hash")
    wrong.append(("extended", leaf, index, size, [*proof, extra], root))
    wrong.append(("prefixed", leaf, index, size, [extra, *proof], root))
    if proof:
        wrong.append(("byte", leaf, index, size, changed_byte(proof, data), root))
        wrong.append(("truncated", leaf, index, size, proof[:-1], root))
        wrong.append(("first dropped", leaf, index, size, proof[1:], root))
    wrong.append(
        ("root", leaf, index, size, proof, data.draw(hashes.filter(lambda other: other != root), label="root"))
    )
    verified = []
    for name, *arguments in wrong:
        try:
            verify_inclusion(*arguments)  # type: ignore[arg-type]
        except InclusionProofError:
            continue
        verified.append(name)
    assert verified == []


@SETTINGS
@given(trees)
def test_every_older_size_is_consistent_with_the_tree(tree: Tree) -> None:
    new_root = tree.root(tree.size)
    for old_size in range(tree.size + 1):
        proof = consistency_proof_from(old_size, tree.size, tree.subtree_hash)
        verify_consistency(old_size, tree.size, tree.root(old_size), new_root, proof)


@SETTINGS
@given(trees, st.data())
def test_a_changed_consistency_proof_fails(tree: Tree, data: st.DataObject) -> None:
    size = tree.size
    old_size = data.draw(st.integers(1, size), label="old size")
    proof = consistency_proof_from(old_size, size, tree.subtree_hash)
    old_root, new_root = tree.root(old_size), tree.root(size)
    root = tree.root
    wrong: list[tuple[str, int, int, bytes, bytes, list[bytes]]] = []
    other_old = data.draw(st.integers(0, size).filter(lambda other: other != old_size), label="other old size")
    if consistency_proof_from(other_old, size, tree.subtree_hash) != proof:  # 0 and the size itself share []
        wrong.append(("old size", other_old, size, root(other_old), new_root, proof))
    other_new = data.draw(
        st.integers(old_size, MAX_SIZE + 1).filter(lambda other: other != size), label="other new size"
    )
    if consistency_proof_from(old_size, other_new, tree.subtree_hash) != proof:
        wrong.append(("new size", old_size, other_new, old_root, root(other_new), proof))
    extra = data.draw(hashes, label="extra hash")
    wrong.append(("extended", old_size, size, old_root, new_root, [*proof, extra]))
    wrong.append(("prefixed", old_size, size, old_root, new_root, [extra, *proof]))
    if old_root != new_root:
        wrong.append(("swapped roots", old_size, size, new_root, old_root, proof))
    wrong.append(
        ("old root", old_size, size, extra, new_root, proof)
        if extra != old_root
        else ("old root", old_size, size, new_root, extra, proof)
    )
    if proof:
        wrong.append(("byte", old_size, size, old_root, new_root, changed_byte(proof, data)))
        wrong.append(("truncated", old_size, size, old_root, new_root, proof[:-1]))
        wrong.append(("first dropped", old_size, size, old_root, new_root, proof[1:]))
    verified = []
    for name, *arguments in wrong:
        try:
            verify_consistency(*arguments)  # type: ignore[arg-type]
        except ConsistencyProofError:
            continue
        verified.append(name)
    assert verified == []
