"""Interning test names (``refstack_lite.services.test_names``): one row per name, stable ids, a
per-engine cache that never hands out an id whose row was rolled back, chunked statements, and
concurrent interning on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from refstack_lite.db import engine_of, make_engine
from refstack_lite.models import TestName
from refstack_lite.services import test_names

TEST = "tempest.api.compute.servers.test_servers.ServersTest.test_{}[id-{:08x}-0000-4000-8000-000000000000]"


def names(prefix: str, count: int, start: int = 0) -> list[str]:
    return [TEST.format(prefix, n) for n in range(start, start + count)]


def stored(engine: Engine) -> dict[str, int]:
    """Every row of test_names, name -> id."""
    with Session(engine) as session:
        return {name: id_ for id_, name in session.execute(select(TestName.id, TestName.name))}


def intern_committed(engine: Engine, wanted: Collection[str]) -> dict[str, int]:
    with Session(engine) as session:
        ids = test_names.intern(session, wanted)
        session.commit()
    return ids


def assert_true_ids(engine: Engine, ids: dict[str, int]) -> None:
    """Each id is the row of its own name."""
    rows = stored(engine)
    assert {name: rows.get(name) for name in ids} == ids


def test_ids_are_stable_across_calls_and_transactions(app: Flask, database_url: str) -> None:
    engine = engine_of(app)
    first = intern_committed(engine, names("a", 5))
    assert len(set(first.values())) == 5
    assert_true_ids(engine, first)
    with Session(engine) as session:
        assert test_names.intern(session, names("a", 5)) == first  # from the cache
        assert test_names.intern(session, names("a", 5)[2:]) == {n: first[n] for n in names("a", 5)[2:]}
    other_process = make_engine(database_url)  # its own, empty cache: the ids come from the database
    try:
        assert intern_committed(other_process, names("a", 5)) == first
    finally:
        other_process.dispose()


def test_new_names_are_inserted_once_and_old_ones_keep_their_rows(app: Flask) -> None:
    engine = engine_of(app)
    old = intern_committed(engine, names("a", 3))
    mixed = intern_committed(engine, [*names("a", 3), *names("b", 2), names("b", 2)[0]])
    assert {n: mixed[n] for n in old} == old
    assert stored(engine) == mixed
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(TestName)) == 5


def test_an_empty_list_interns_nothing(app: Flask) -> None:
    engine = engine_of(app)
    assert intern_committed(engine, []) == {}
    assert stored(engine) == {}


def test_rolled_back_ids_are_never_handed_out(app: Flask) -> None:
    """SQLite reuses the rolled-back rowids for the next names inserted; a cached id of a
    rolled-back row would then name another test."""
    engine = engine_of(app)
    doomed = names("doomed", 3)
    with Session(engine) as session:
        assert len(test_names.intern(session, doomed)) == 3
        session.rollback()
        others = test_names.intern(session, names("other", 3))  # the same session goes on and commits
        session.commit()
    assert stored(engine) == others
    again = intern_committed(engine, doomed)
    assert_true_ids(engine, {**others, **again})
    assert set(again.values()).isdisjoint(others.values())


def test_a_rolled_back_savepoint_leaves_no_id_cached(app: Flask) -> None:
    engine = engine_of(app)
    with Session(engine) as session:
        kept = test_names.intern(session, names("kept", 2))
        savepoint = session.begin_nested()
        test_names.intern(session, names("undone", 2))
        savepoint.rollback()
        session.commit()
    assert stored(engine) == kept
    others = intern_committed(engine, names("other", 2))
    again = intern_committed(engine, names("undone", 2))
    assert_true_ids(engine, {**kept, **others, **again})


def test_a_session_closed_without_commit_and_reused_caches_nothing_it_lost(app: Flask) -> None:
    engine = engine_of(app)
    session = Session(engine)
    test_names.intern(session, names("lost", 2))
    session.close()  # rolls the transaction back; a closed Session may be used again
    reused = test_names.intern(session, names("next", 2))
    session.commit()
    session.close()
    again = intern_committed(engine, names("lost", 2))
    assert_true_ids(engine, {**reused, **again})


def test_more_names_than_one_statement_binds(app: Flask) -> None:
    """Beyond the 900 names a statement carries: a real submission holds some 1,500."""
    engine = engine_of(app)
    first = intern_committed(engine, names("x", 1000))
    both = intern_committed(engine, [*names("x", 1000), *names("y", 1900)])
    assert len(set(both.values())) == 2900
    assert {n: both[n] for n in first} == first
    assert stored(engine) == both
    with Session(engine) as session:
        assert test_names.names_of(session, list(both.values())) == {i: n for n, i in both.items()}
        assert test_names.names_of(session, []) == {}


def test_concurrent_sessions_interning_overlapping_names_agree(app: Flask) -> None:
    """The second transaction waits on the first one's uncommitted rows (PostgreSQL) or write lock
    (SQLite), then reads its ids."""
    engine = engine_of(app)  # on SQLite the second writer waits for the lock; on PostgreSQL for the rows
    shared, only_a, only_b = names("shared", 1200), names("a", 50), names("b", 50)
    inserted = threading.Event()

    def first() -> dict[str, int]:
        with Session(engine) as session:
            ids = test_names.intern(session, [*only_a, *shared])
            inserted.set()
            threading.Event().wait(0.3)  # hold the new rows uncommitted while the other inserts
            session.commit()
        return ids

    def second() -> dict[str, int]:
        assert inserted.wait(10)
        with Session(engine) as session:
            ids = test_names.intern(session, [*reversed(shared), *only_b])
            session.commit()
        return ids

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        ids_a, ids_b = a.result(timeout=30), b.result(timeout=30)
    assert {n: ids_a[n] for n in shared} == {n: ids_b[n] for n in shared}
    assert_true_ids(engine, {**ids_a, **ids_b})
    assert len(stored(engine)) == 1300


def test_many_simultaneous_rounds_neither_deadlock_nor_disagree(app: Flask) -> None:
    engine = engine_of(app)  # on SQLite the second writer waits for the lock; on PostgreSQL for the rows
    workers = 4
    for round_ in range(5):
        start = threading.Barrier(workers)
        pool_names = names(f"r{round_}", 400)

        def work(index: int, pool_names: list[str] = pool_names, start: threading.Barrier = start) -> dict[str, int]:
            mine = pool_names[index * 50 : index * 50 + 250]  # overlapping windows
            start.wait(10)
            with Session(engine) as session:
                ids = test_names.intern(session, mine[::-1] if index % 2 else mine)
                session.commit()
            return ids

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(work, range(workers)))
        merged: dict[str, int] = {}
        for ids in results:
            for name, id_ in ids.items():
                assert merged.setdefault(name, id_) == id_, name
        assert_true_ids(engine, merged)
    assert len(stored(engine)) == 5 * 400
