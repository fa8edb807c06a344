"""``log_store`` against the pure Merkle code, append by append, on SQLite and PostgreSQL: the
stored tree (head, leaves and complete subtrees) is always the one ``merkle`` computes from the
leaves, and so are the roots, frontiers and proofs it serves at every earlier size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from refstack_lite_client.transparency import log_entries, merkle

from refstack_lite.db import engine_of, get_session
from refstack_lite.transparency import log_store
from tests.functional.log_helpers import assert_one_tree

APPENDS = 300
# Sizes whose every proof is checked: around powers of two, where the tree's shape changes.
CHECKED_SIZES = (1, 2, 3, 7, 8, 9, 63, 64, 65, 255, 256, 257, APPENDS)


def fields(number: int) -> dict[str, object]:
    return {
        "guideline": f"g.{number}",
        "family": "f",
        "number": number,
        "digest": f"{number:064x}",
        "status": "approved",
    }


def test_every_append_keeps_the_stored_tree_the_one_merkle_computes(app: Flask) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    leaves: list[bytes] = []
    with app.app_context():
        session = get_session()
        assert log_store.tree(session) == log_store.Tree(0, merkle.EMPTY_ROOT)
        assert log_store.frontier(session, 0) == []
        for number in range(APPENDS):
            at = start + timedelta(seconds=number)
            index = log_store.append(session, log_entries.GUIDELINE_REVISION, at, fields(number), f"g.{number}")
            session.commit()
            assert index == number
            leaves.append(
                merkle.leaf_hash(log_entries.encode_entry(log_entries.GUIDELINE_REVISION, at, fields(number)))
            )
            subtree = merkle.subtree_hash_from_leaves(leaves)
            assert log_store.tree(session) == log_store.Tree(len(leaves), merkle.root_from_leaves(leaves))
            assert log_store.frontier(session, len(leaves)) == [
                subtree(a, b) for a, b in merkle.frontier_ranges(len(leaves))
            ]
    assert len(assert_one_tree(engine_of(app))) == APPENDS


@pytest.fixture
def filled(app: Flask) -> list[bytes]:
    """The log of ``APPENDS`` entries, appended in one transaction; their leaf hashes."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        session = get_session()
        for number in range(APPENDS):
            log_store.append(session, log_entries.GUIDELINE_REVISION, at, fields(number), f"g.{number}")
        session.commit()
    return [
        merkle.leaf_hash(log_entries.encode_entry(log_entries.GUIDELINE_REVISION, at, fields(n)))
        for n in range(APPENDS)
    ]


def test_roots_frontiers_and_proofs_at_earlier_sizes_are_merkles(app: Flask, filled: list[bytes]) -> None:
    assert len(assert_one_tree(engine_of(app))) == APPENDS
    with app.app_context():
        session = get_session()
        assert log_store.root(session, 0) == merkle.EMPTY_ROOT
        for size in range(1, APPENDS + 1):
            assert log_store.root(session, size) == merkle.root_from_leaves(filled[:size])
        for size in CHECKED_SIZES:
            subtree = merkle.subtree_hash_from_leaves(filled[:size])
            assert log_store.frontier(session, size) == [subtree(a, b) for a, b in merkle.frontier_ranges(size)]
            for index in range(size):
                assert log_store.inclusion_proof(session, index, size) == merkle.inclusion_proof(index, size, filled)
            for old in range(size + 1):
                assert log_store.consistency_proof(session, old, size) == merkle.consistency_proof(old, size, filled)


def test_entries_are_the_exact_leaf_data(app: Flask, filled: list[bytes]) -> None:
    with app.app_context():
        session = get_session()
        read = log_store.entries(session, 0, 256) + log_store.entries(session, 256, APPENDS)
        assert [index for index, _ in read] == list(range(APPENDS))
        assert [merkle.leaf_hash(data) for _, data in read] == filled
        assert log_store.entries_about(session, "g.7") == [read[7]]
        with pytest.raises(log_store.BeyondTree, match=f"holds {APPENDS} entries"):
            log_store.entries(session, 0, APPENDS + 1)
        with pytest.raises(ValueError, match="1 to 256 entries"):
            log_store.entries(session, 0, 257)
