"""Test names, each stored once in ``test_names``; submissions keep their ids.

Ids never change once committed, so each engine keeps a cache of the names it has seen
committed. A name this transaction inserted joins the cache only after the commit: a rolled-back
id must never be handed out again.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Iterable, Sequence
from operator import itemgetter

from sqlalchemy import Engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
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
    committed = _select(session, missing)
    _remember(cache, committed.items())
    ids.update(committed)
    new = [name for name in missing if name not in committed]
    if new:
        # Sorted, so concurrent transactions take the unique-index locks in one order (no deadlock).
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        for start in range(0, len(new), _CHUNK):
            chunk = new[start : start + _CHUNK]
            session.execute(insert(TestName).on_conflict_do_nothing(), [{"name": name} for name in chunk])
        mine = _select(session, new)
        ids.update(mine)
        session.info.setdefault(_PENDING, []).append((cache, mine))
    return ids


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


def _select(session: Session, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(names), _CHUNK):
        chunk = names[start : start + _CHUNK]
        found.update(session.execute(select(TestName.name, TestName.id).where(TestName.name.in_(chunk))).all())
    return found
