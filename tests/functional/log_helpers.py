"""Reading the transparency log's tables directly, to check them against the pure Merkle code:
the stored entries, the one tree they make, and what a test's events appended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from refstack_lite_client.transparency import log_entries, merkle
from sqlalchemy import Engine, select

from refstack_lite.db import engine_of, get_session
from refstack_lite.models import LogEntry, LogHead, LogNode, User
from refstack_lite.transparency import log_store


@dataclass(frozen=True)
class Stored:
    """One row of ``log_entries``, its data parsed."""

    index: int
    leaf_hash: bytes
    kind: str
    subject: str
    entry: log_entries.Entry

    @property
    def fields(self) -> dict[str, Any]:
        return self.entry.fields


def stored(engine: Engine) -> list[Stored]:
    """Every stored entry in index order; each must parse as an entry of its kind."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(LogEntry.leaf_index, LogEntry.leaf_hash, LogEntry.kind, LogEntry.subject, LogEntry.data).order_by(
                LogEntry.leaf_index
            )
        ).all()
    found = [
        Stored(row.leaf_index, row.leaf_hash, row.kind, row.subject, log_entries.parse_entry(row.data)) for row in rows
    ]
    for entry in found:
        assert entry.entry.kind == entry.kind, entry
    return found


def size(app: Flask) -> int:
    with engine_of(app).connect() as conn:
        found: int = conn.scalar(select(LogHead.size).where(LogHead.name == log_store.HEAD)) or 0
    return found


def appended(app: Flask, since: int) -> list[Stored]:
    """The entries appended after the log held ``since``, checked to be one consistent tree."""
    return assert_one_tree(engine_of(app))[since:]


def assert_one_tree(engine: Engine) -> list[Stored]:
    """The stored log is one tree: leaves 0..n-1 without gaps, each leaf hash that of its data,
    the head's size, root and frontier those of the leaves, and exactly the complete subtrees of
    two or more leaves stored in ``log_nodes``, each with the hash recomputed from the leaves."""
    with engine.connect() as conn:
        head = conn.execute(select(LogHead.size, LogHead.root, LogHead.frontier)).one()
        nodes = {(row.level, row.position): row.hash for row in conn.execute(select(LogNode))}
        data = [row.data for row in conn.execute(select(LogEntry.data).order_by(LogEntry.leaf_index))]
    entries = stored(engine)
    assert [e.index for e in entries] == list(range(len(entries))), "the leaves' indexes have gaps or repeats"
    assert head.size == len(entries), f"the head says {head.size} leaves; {len(entries)} are stored"
    leaves = [merkle.leaf_hash(d) for d in data]
    assert [e.leaf_hash for e in entries] == leaves, "a stored leaf hash is not the hash of its data"
    assert head.root == merkle.root_from_leaves(leaves)
    subtree = merkle.subtree_hash_from_leaves(leaves)
    expected_frontier = b"".join(subtree(start, end) for start, end in merkle.frontier_ranges(len(leaves)))
    assert head.frontier == expected_frontier
    expected_nodes = {
        (level, position) for level in range(1, len(leaves).bit_length()) for position in range(len(leaves) >> level)
    }
    assert set(nodes) == expected_nodes, f"stored {sorted(nodes)}, expected {sorted(expected_nodes)}"
    for (level, position), hash_ in nodes.items():
        assert hash_ == subtree(position << level, (position + 1) << level), f"node {level}/{position} is wrong"
    return entries


def append_synthetic(app: Flask, count: int, first: int = 0) -> None:
    """Append ``count`` guideline-revision entries of made-up guidelines, in one transaction:
    a log of any size for the tests of the API and of the tree."""
    with app.app_context():
        session = get_session()
        now = datetime.now(UTC)
        for number in range(first, first + count):
            fields = {
                "guideline": f"synthetic.{number}",
                "family": "synthetic",
                "number": number,
                "digest": f"{number:064x}",
                "status": "approved",
            }
            log_store.append(session, log_entries.GUIDELINE_REVISION, now, fields, f"synthetic.{number}")
        session.commit()


def assert_no_personal_data(app: Flask, entries: list[Stored]) -> None:
    """No entry names a user or holds an email address, whatever its kind."""
    with engine_of(app).connect() as conn:
        people = conn.execute(select(User.name, User.email)).all()
    assert people, "a test of personal data needs users to look for"
    for entry in entries:
        text = entry.entry.data.decode("utf-8")
        assert "@" not in text, entry
        for person in people:
            assert person.name not in text, (person, entry)
            assert person.email not in text, (person, entry)
