"""Test names, each stored once in ``test_names``; submissions keep their ids.

Ids never change once committed, so each engine keeps a cache of the names it has seen
committed. A name this transaction inserted joins the cache only after the commit: a rolled-back
id must never be handed out again.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

import orjson
from sqlalchemy import Engine, TextClause, event, select, text
from sqlalchemy.orm import Session, SessionTransaction

from refstack_lite.models import TestName

CACHE_LIMIT = 200_000  # names per engine: a few guidelines' worth of Tempest tests, ~40 MB at most
_CHUNK = 900  # bound parameters per statement, well under SQLite's limit

_caches: weakref.WeakKeyDictionary[Engine, dict[str, int]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_PENDING = "refstack_lite.test_names.pending"  # session.info key: ids inserted, not yet committed


def _cache(session: Session) -> dict[str, int]:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _lock:
        return _caches.setdefault(engine, {})


def _remember(cache: dict[str, int], found: Iterable[tuple[str, int]]) -> None:
    with _lock:
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        cache.update(found)


def intern(session: Session, names: Collection[str]) -> dict[str, int]:
    """The id of every name in ``names``, inserting the new ones (safe against concurrent callers)."""
    cache = _cache(session)
    if len(names) > 1:
        try:  # every name known: one lookup per name at C speed (most uploads repeat known tests)
            return dict(zip(names, itemgetter(*names)(cache), strict=True))
        except KeyError:
            pass
    ids = {name: cache[name] for name in names if name in cache}
    missing = sorted(set(names) - ids.keys())
    if not missing:
        return ids
    statements = _SQLITE if session.get_bind().dialect.name == "sqlite" else _POSTGRESQL
    connection = session.connection()
    listed = _json_array(missing)
    committed: dict[str, int] = dict(connection.execute(statements.select, {"names": listed}).all())
    _remember(cache, committed.items())
    ids.update(committed)
    new = [name for name in missing if name not in committed]
    if new:
        if len(new) < len(missing):
            listed = _json_array(new)
        # Sorted, so concurrent transactions take the unique-index locks in one order (no deadlock).
        mine: dict[str, int] = dict(connection.execute(statements.insert, {"names": listed}).all())
        ids.update(mine)
        session.info.setdefault(_PENDING, []).append((cache, mine))
        if len(mine) < len(new):  # another transaction committed some of them meanwhile
            rest = [name for name in new if name not in mine]
            ids.update(connection.execute(statements.select, {"names": _json_array(rest)}).all())
    return ids


def _json_array(names: list[str]) -> str:
    """The names as a JSON array (orjson: several times faster than ``json`` for 1,500 names). The
    checks before the intake refuse names that are not UTF-8 (lone surrogates), which orjson
    cannot write."""
    return orjson.dumps(names).decode()


@dataclass(frozen=True)
class _Statements:
    """Set operations over a JSON array of names: whatever their number, one statement each."""

    select: TextClause  # (name, id) of the names stored
    insert: TextClause  # insert the names not stored, in the array's order; (name, id) of those inserted


_SQLITE = _Statements(
    text("SELECT t.name, t.id FROM json_each(:names) AS j JOIN test_names AS t ON t.name = j.value"),
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join
    text(
        "INSERT INTO test_names (name) SELECT value FROM json_each(:names) WHERE true "
        "ON CONFLICT DO NOTHING RETURNING name, id"
    ),
)
_POSTGRESQL = _Statements(
    text(
        "SELECT t.name, t.id FROM json_array_elements_text(CAST(:names AS json)) AS j(name) "
        "JOIN test_names AS t ON t.name = j.name"
    ),
    text(
        "INSERT INTO test_names (name) SELECT name FROM json_array_elements_text(CAST(:names AS json)) AS j(name) "
        'ORDER BY name COLLATE "C" ON CONFLICT DO NOTHING RETURNING name, id'
    ),
)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for cache, mine in session.info.pop(_PENDING, []):
        _remember(cache, mine.items())


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without a commit (``close()`` discards it without a rollback
    event) takes its ids with it; after a commit, ``_committed`` has emptied the list already."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def names_of(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """The name of each id."""
    found: dict[int, str] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        found.update(session.execute(select(TestName.id, TestName.name).where(TestName.id.in_(chunk))).all())
    return found
