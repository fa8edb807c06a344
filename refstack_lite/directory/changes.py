"""Which state of the public directory a reader sees, and what a process keeps of one state.

Every public answer is a function of the request and of the stored facts the directory reads;
nothing in it depends on the clock (``freshness``). Triggers count every committed change of
those facts in ``change_counters`` (migration 0011), so the counter names a state: an answer
derived after reading value *n* holds for as long as the counter reads *n*. ``DIRECTORY``
counts what the directory's answers read; ``PUBLIC_V1`` what RefStack's public list of uploads
reads.

The counter is read before anything it guards. A change committed in between makes the answer
newer than its state, never older; the next reader sees the counter move and drops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from cachetools import LRUCache
from sqlalchemy import Engine, bindparam, select

from refstack_lite.models import ChangeCounter

DIRECTORY = "directory"  # migration 0011
PUBLIC_V1 = "public_v1"
_VALUE = select(ChangeCounter.value).where(ChangeCounter.name == bindparam("counter"))

T = TypeVar("T")


def latest(engine: Engine, counter: str) -> int:
    """The state ``counter`` names now (0 before its first change), read outside any
    transaction: one round trip where a session's read would also begin and end one."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        value = connection.execute(_VALUE, {"counter": counter}).scalar()
    return 0 if value is None else value


class _Kept:
    __slots__ = ("size", "value")

    def __init__(self, value: object, size: int) -> None:
        self.value = value
        self.size = size


class KeptStates:
    """Values derived from the directory's latest state, least recently used dropped first once
    they exceed ``max_bytes`` (as their producers estimate them). Values of an older state are
    never handed out: reading another state drops them all. Safe to share between threads."""

    def __init__(self, max_bytes: int) -> None:
        self._lock = threading.Lock()
        self._state: int | None = None
        self._values: LRUCache[Hashable, _Kept] = LRUCache(maxsize=max(max_bytes, 1), getsizeof=_size_of)
        self.max_bytes = max_bytes

    def get(self, state: int, key: Hashable) -> object | None:
        with self._lock:
            self._move_to(state)
            kept = self._values.get(key)
            return None if kept is None else kept.value

    def put(self, state: int, key: Hashable, value: object, size: int) -> None:
        """Keep ``value``, derived from ``state``, unless it alone would exceed the memory allowed."""
        if size > self.max_bytes:
            return
        with self._lock:
            self._move_to(state)
            self._values[key] = _Kept(value, size)

    def remembered(self, state: int, key: Hashable, compute: Callable[[], T], size: Callable[[T], int]) -> T:
        """``compute()`` of ``state``, from memory when this process derived it already;
        ``size(value)`` estimates the memory it holds."""
        found = self.get(state, key)
        if found is not None:
            return cast(T, found)
        value = compute()
        self.put(state, key, value, size(value))
        return value

    def _move_to(self, state: int) -> None:
        # Any other value, not only a greater one: a database restored from a backup counts again.
        if state != self._state:
            self._values.clear()
            self._state = state

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._values.keys())


def _size_of(kept: _Kept) -> int:
    return kept.size
