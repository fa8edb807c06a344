"""What an operator with the database's superuser powers can do to the transparency log behind the
server's back, for the tamper tests: rewrite an entry in place, or drop and reorder entries and
rebuild the tree so that the head and the stored subtrees agree again.

Each change is first tried as a plain statement, which the append-only triggers of migration
0015 must refuse; only then is it made past them: on PostgreSQL in the replica replication role
(a superuser's, which fires no ordinary trigger), on SQLite by dropping the triggers and making
them again before the commit, so the database looks untouched afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from refstack_lite_client.transparency import log_entries
from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from refstack_lite.models import Base, LogEntry
from refstack_lite.transparency import log_store

REFUSED = "log_entries is append-only"
_LOG_TABLES = ("log_entries", "log_nodes", "log_head")
_entries = Base.metadata.tables["log_entries"]
_nodes = Base.metadata.tables["log_nodes"]
_head = Base.metadata.tables["log_head"]

Change = Callable[[Connection], None]


@dataclass(frozen=True)
class Row:
    """One stored leaf as the rebuild needs it."""

    index: int
    subject: str
    data: bytes


def rows(engine: Engine) -> list[Row]:
    """Every leaf of the stored log, in order."""
    with engine.connect() as conn:
        found = conn.execute(select(LogEntry.leaf_index, LogEntry.subject, LogEntry.data).order_by(LogEntry.leaf_index))
        return [Row(index, subject, data) for index, subject, data in found]


def refusal(engine: Engine, change: Change) -> str:
    """The database's refusal of ``change`` made as a plain transaction (the triggers')."""
    with pytest.raises(DBAPIError, match=REFUSED) as refused, engine.begin() as conn:
        change(conn)
    return str(refused.value.orig)


def tamper(engine: Engine, change: Change) -> str:
    """Make ``change``: refused as a plain transaction (the refusal is returned), then made past
    the triggers and committed."""
    refused = refusal(engine, change)
    with past_the_triggers(engine) as conn:
        change(conn)
    return refused


@contextmanager
def past_the_triggers(engine: Engine) -> Iterator[Connection]:
    """A transaction in which the log's append-only triggers do not fire, committed at the end."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            with conn.begin():
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                yield conn
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # DDL and DML in one transaction, holding the write lock
        triggers = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (:a, :b, :c)"),
            dict(zip("abc", _LOG_TABLES, strict=True)),
        ).all()
        assert triggers, "the log's tables have no triggers to get past"
        for name, _ in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield conn
        for _, sql in triggers:
            conn.exec_driver_sql(sql)
        conn.commit()


def rewrite_entry(index: int, data: bytes) -> Change:
    """Entry ``index``'s bytes replaced in place; its leaf hash, the subtrees and the head left as they were."""

    def change(conn: Connection) -> None:
        conn.execute(update(_entries).where(_entries.c.leaf_index == index).values(data=data))

    return change


def rebuild(kept: list[Row]) -> Change:
    """The log emptied and ``kept`` appended again, in that order, as the server appends: the head,
    leaves and subtrees agree with each other, and a new checkpoint signs the rebuilt tree."""

    def change(conn: Connection) -> None:
        conn.execute(delete(_entries))
        conn.execute(delete(_nodes))
        conn.execute(update(_head).values(log_store.empty_head()))
        with Session(bind=conn) as session:
            for row in kept:
                entry = log_entries.parse_entry(row.data)
                log_store.append(session, entry.kind, entry.at, entry.fields, row.subject)

    return change


def without(stored: list[Row], subject: str) -> list[Row]:
    """The log's leaves but those about ``subject`` (a certification's id names its entries)."""
    kept = [row for row in stored if row.subject != subject]
    assert len(kept) < len(stored), f"the log has no entry about {subject}"
    return kept


def swapped(stored: list[Row], first: int, second: int) -> list[Row]:
    """The log's leaves with entries ``first`` and ``second`` in each other's place."""
    reordered = list(stored)
    reordered[first], reordered[second] = stored[second], stored[first]
    return reordered
