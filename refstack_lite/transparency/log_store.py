"""The transparency log in the database: appends, the current tree, entries and proofs.

The tree is kept as the hash of every complete subtree (``merkle.subtrees_completed_by_append``):
leaves in ``log_entries``, larger ones in ``log_nodes``, about two rows per leaf. An append reads
the head (size and frontier), computes the new root and frontier, and writes them with one
UPDATE conditional on the size it read, then inserts the leaf and the subtrees it completes, all
in the caller's transaction: an entry is in the log exactly when the change it records is
committed. The UPDATE orders concurrent appends: PostgreSQL locks the row until the transaction
ends, and a second appender that read the same size then updates nothing and reads again;
SQLite holds its write lock. The head's trigger lets its size grow by exactly one, so its root
and frontier change only with an append. A proof fetches the few stored hashes it needs in two
queries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refstack_lite_client.transparency import log_entries, merkle
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from refstack_lite.models import Base, LogEntry, LogHead, LogNode

HEAD = "log"
MAX_ENTRIES_PER_READ = 256

_head = Base.metadata.tables["log_head"]
_READ_HEAD = select(_head.c.size, _head.c.frontier).where(_head.c.name == HEAD)
_GROW = (
    update(_head)
    .where(_head.c.name == HEAD, _head.c.size == bindparam("old_size"))
    .values(size=bindparam("new_size"), root=bindparam("new_root"), frontier=bindparam("new_frontier"))
)
_INSERT_ENTRY = insert(Base.metadata.tables["log_entries"])
_INSERT_NODES = insert(Base.metadata.tables["log_nodes"])


def empty_head() -> dict[str, Any]:
    """The head of the empty log (what migration 0015 inserts)."""
    return {"name": HEAD, "size": 0, "root": merkle.EMPTY_ROOT, "frontier": b""}


class BeyondTree(ValueError):
    """A size or index the tree does not have (yet)."""


@dataclass(frozen=True)
class Tree:
    size: int
    root: bytes


def append(session: Session, kind: str, at: datetime, fields: Mapping[str, Any], subject: str) -> int:
    """Append one entry in the session's transaction; its index."""
    data = log_entries.encode_entry(kind, at, fields)
    leaf = merkle.leaf_hash(data)
    connection = session.connection()
    while True:
        head = connection.execute(_READ_HEAD).one()
        index: int = head.size
        frontier, completed = merkle.frontier_append(index, _unpack(head.frontier), leaf)
        grown = connection.execute(
            _GROW,
            {
                "old_size": index,
                "new_size": index + 1,
                "new_root": merkle.frontier_root(index + 1, frontier),
                "new_frontier": b"".join(frontier),
            },
        )
        if grown.rowcount == 1:
            break
    connection.execute(
        _INSERT_ENTRY,
        {"leaf_index": index, "leaf_hash": leaf, "kind": kind, "subject": subject, "data": data, "appended_at": at},
    )
    if len(completed) > 1:
        connection.execute(
            _INSERT_NODES,
            [{"level": level, "position": index >> level, "hash": h} for level, h in enumerate(completed) if level],
        )
    return index


def tree(session: Session) -> Tree:
    """The committed tree as this session sees it."""
    size, root = session.execute(select(LogHead.size, LogHead.root).where(LogHead.name == HEAD)).one()
    return Tree(size, root)


def entries(session: Session, start: int, end: int) -> list[tuple[int, bytes]]:
    """Leaves ``[start, end)`` as (index, data); ``BeyondTree`` past the tree's end."""
    _require_size(session, end)
    if not 0 <= start < end or end - start > MAX_ENTRIES_PER_READ:
        raise ValueError(f"ask for 1 to {MAX_ENTRIES_PER_READ} entries from a start >= 0, not [{start}, {end})")
    rows = session.execute(
        select(LogEntry.leaf_index, LogEntry.data)
        .where(LogEntry.leaf_index >= start, LogEntry.leaf_index < end)
        .order_by(LogEntry.leaf_index)
    )
    return [(index, data) for index, data in rows]


def entries_about(session: Session, subject: str) -> list[tuple[int, bytes]]:
    """Every entry about ``subject``, in log order."""
    rows = session.execute(
        select(LogEntry.leaf_index, LogEntry.data).where(LogEntry.subject == subject).order_by(LogEntry.leaf_index)
    )
    return [(index, data) for index, data in rows]


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    _require_size(session, size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
    return _from_stored(session, lambda subtree: merkle.inclusion_proof_from(index, size, subtree))


def consistency_proof(session: Session, old: int, new: int) -> list[bytes]:
    _require_size(session, new)
    if not 0 <= old <= new:
        raise ValueError(f"a tree of {old} leaves cannot be a prefix of one of {new}")
    return _from_stored(session, lambda subtree: merkle.consistency_proof_from(old, new, subtree))


def frontier(session: Session, size: int) -> list[bytes]:
    """The frontier of the tree of ``size`` leaves (``merkle.frontier_ranges``)."""
    _require_size(session, size)
    complete = merkle.frontier_ranges(size)
    hashes = _stored_hashes(session, complete)
    return [hashes[r] for r in complete]


def root(session: Session, size: int) -> bytes:
    _require_size(session, size)
    return _from_stored(session, lambda subtree: [merkle.tree_root(size, subtree)])[0]


def _from_stored(session: Session, compute: Callable[[merkle.SubtreeHash], list[bytes]]) -> list[bytes]:
    """Run ``compute`` on stored hashes: once to learn which complete subtrees it reads, then with
    them fetched in one go."""
    wanted: list[tuple[int, int]] = []

    def note(start: int, end: int) -> bytes:
        wanted.append((start, end))
        return merkle.EMPTY_ROOT

    compute(merkle.subtree_hash_from_complete(note))
    hashes = _stored_hashes(session, wanted)
    return compute(merkle.subtree_hash_from_complete(lambda start, end: hashes[(start, end)]))


def _stored_hashes(session: Session, ranges: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    leaves = {start for start, end in ranges if end - start == 1}
    nodes = {((end - start).bit_length() - 1, start) for start, end in ranges if end - start > 1}
    found: dict[tuple[int, int], bytes] = {}
    if leaves:
        rows = session.execute(select(LogEntry.leaf_index, LogEntry.leaf_hash).where(LogEntry.leaf_index.in_(leaves)))
        found.update(((index, index + 1), h) for index, h in rows)
    if nodes:
        # One term per level: SQLite searches the primary key for each, where a row-value IN
        # (level, position) made it scan the whole table.
        by_level: dict[int, list[int]] = {}
        for level, start in nodes:
            by_level.setdefault(level, []).append(start >> level)
        terms = [and_(LogNode.level == level, LogNode.position.in_(positions)) for level, positions in by_level.items()]
        nodes_found = session.execute(select(LogNode.level, LogNode.position, LogNode.hash).where(or_(*terms)))
        found.update(((position << level, (position + 1) << level), h) for level, position, h in nodes_found)
    missing = [r for r in ranges if r not in found]
    if missing:
        raise LookupError(f"the log's stored tree lacks the subtrees {missing[:5]}")
    return found


def _require_size(session: Session, size: int) -> None:
    current = tree(session).size
    if size > current:
        raise BeyondTree(f"the log holds {current} entries; a tree of {size} does not exist yet")


def _unpack(packed: bytes) -> list[bytes]:
    return [packed[i : i + merkle.HASH_SIZE] for i in range(0, len(packed), merkle.HASH_SIZE)]
