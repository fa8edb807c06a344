"""What the transparency log costs each intake: the CPU of one append (issue 16: at most 1 ms).

An accepted upload appends one entry inside its own transaction: an UPDATE of the log's head
(which orders concurrent appends), the entry's INSERT, the INSERT of the complete subtrees it
finishes (one on average) and the head's new root and frontier. This script measures exactly
that work, on a migrated database whose log already holds ``--preseed`` entries, in the
production shape: each append in its own transaction, committed.

Two phases of ``--appends`` transactions each, alternated ``--runs`` times:

- **append**: begin, ``log_store.append`` of a ``submission.accepted`` entry (a real one's size),
  commit;
- **ceiling**: begin, one INSERT of a small row into a scratch table, commit: the cost of a
  writing transaction with next to nothing in it, which the intake pays anyway (its commit,
  the WAL write and sync).

The append's cost is the difference, per transaction: CPU of this process (the application
side) and, on PostgreSQL, of the database's backend and shared processes (``postgres_cpu``); on
SQLite the database runs in this process, so its CPU is in the first figure. Medians over the
runs. Run it on an idle machine.

    .venv/bin/python benchmarks/bench_log_append.py
    .venv/bin/python benchmarks/bench_log_append.py --postgres-url postgresql+psycopg://postgres@127.0.0.1/rl_bench
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from refstack_lite_client.transparency import merkle
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from refstack_lite import migrate
from refstack_lite.db import make_engine
from refstack_lite.models import LogEntry
from refstack_lite.transparency import log_store

sys.path.insert(0, str(Path(__file__).parent))
from intake_kit import fresh_database, postgres_cpu

ENTRY: dict[str, Any] = {
    "submission": "6f1c2d9e-0b7a-4c3e-9d55-0c8f1e2a3b4c",
    "source": "v2",
    "vendor": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
    "signer": "SHA256:" + "x" * 43,
    "envelope_digest": "sha256:" + "a" * 64,
    "payload_digest": "sha256:" + "b" * 64,
    "guideline": {"name": "2020.06", "digest": "c" * 64},
    "verdicts": [
        {"guideline": "2020.06", "guideline_digest": "c" * 64, "target": target, "eligible": True}
        for target in ("compute", "object", "platform")
    ],
}


CALLS: list[float] = []  # process CPU of each ``log_store.append`` call alone, commit excluded


def _append(session: Session, i: int) -> None:
    began = time.process_time()
    log_store.append(session, "submission.accepted", datetime.now(UTC), {**ENTRY, "submission": f"s-{i}"}, f"s-{i}")
    CALLS.append(time.process_time() - began)


def _floor(session: Session, i: int) -> None:
    session.execute(text("INSERT INTO bench_floor (n) VALUES (:n)"), {"n": i})


def _phase(factory: sessionmaker[Session], work: Any, count: int, first: int, database: str | None) -> dict[str, float]:
    db_before = postgres_cpu(database) if database else 0.0
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    for i in range(first, first + count):
        with factory.begin() as session:
            work(session, i)
    cpu = time.process_time() - cpu_before
    wall = time.perf_counter() - wall_before
    db = (postgres_cpu(database) - db_before) if database else 0.0
    return {"app_us": cpu / count * 1e6, "db_us": db / count * 1e6, "wall_us": wall / count * 1e6}


def _preseed(factory: sessionmaker[Session], count: int) -> float:
    began = time.perf_counter()
    done = 0
    while done < count:
        batch = min(10_000, count - done)
        with factory.begin() as session:
            for i in range(done, done + batch):
                _append(session, i)
        done += batch
    return time.perf_counter() - began


def bench(url: str, args: argparse.Namespace) -> list[dict[str, float]]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = sessionmaker(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_floor (n BIGINT NOT NULL)"))
    database = make_url(url).database if engine.dialect.name == "postgresql" else None
    seconds = _preseed(factory, args.preseed)
    print(f"# {engine.dialect.name}: {args.preseed:,} entries appended first in {seconds:.1f} s", flush=True)
    rows = []
    next_index = args.preseed
    for _ in range(args.runs):
        _phase(factory, _append, 200, next_index, database)  # warm caches
        next_index += 200
        CALLS.clear()
        appended = _phase(factory, _append, args.appends, next_index, database)
        call_us = statistics.median(CALLS) * 1e6
        next_index += args.appends
        floor = _phase(factory, _floor, args.appends, next_index, database)
        rows.append(
            {f"append_{k}": v for k, v in appended.items()}
            | {f"floor_{k}": v for k, v in floor.items()}
            | {"call_us": call_us}
        )
    with factory() as session:
        proofs(session, args.proofs)
    engine.dispose()
    return rows


def proofs(session: Session, count: int) -> None:
    """Inclusion and consistency proofs of the stored tree at its size: hashes, bytes, time to
    build from the database (two queries each) and to verify."""
    tree = log_store.tree(session)
    rng = random.Random(16)  # noqa: S311 - which entries to prove, not a secret
    figures: dict[str, list[float]] = {k: [] for k in ("inc_n", "inc_build", "inc_verify", "con_n", "con_build")}
    for _ in range(count):
        index = rng.randrange(tree.size)
        began = time.perf_counter()
        proof = log_store.inclusion_proof(session, index, tree.size)
        figures["inc_build"].append(time.perf_counter() - began)
        leaf = session.scalar(select(LogEntry.leaf_hash).where(LogEntry.leaf_index == index))
        assert leaf is not None
        began = time.perf_counter()
        merkle.verify_inclusion(leaf, index, tree.size, proof, tree.root)
        figures["inc_verify"].append(time.perf_counter() - began)
        figures["inc_n"].append(len(proof))
        old = rng.randrange(1, tree.size)
        began = time.perf_counter()
        consistency = log_store.consistency_proof(session, old, tree.size)
        figures["con_build"].append(time.perf_counter() - began)
        figures["con_n"].append(len(consistency))
    size = tree.size
    print(f"\nproofs in the stored tree of {size:,} entries ({count} random ones of each kind):")
    for kind, n, build in (("inclusion", "inc_n", "inc_build"), ("consistency", "con_n", "con_build")):
        hashes = figures[n]
        print(
            f"- {kind}: {min(hashes):.0f} to {max(hashes):.0f} hashes (median {statistics.median(hashes):.0f}, "
            f"at most {max(hashes) * 32:.0f} bytes), built from the database in "
            f"{statistics.median(figures[build]) * 1e3:.2f} ms (median)"
        )
    print(f"- inclusion verified in {statistics.median(figures['inc_verify']) * 1e6:.0f} us (median)")


def report(name: str, rows: list[dict[str, float]]) -> None:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print(f"\n{name} (medians of {len(rows)} runs; microseconds per transaction)")
    print("| phase | app CPU | database CPU | CPU in all | wall |")
    print("|---|---|---|---|---|")
    for phase in ("append", "floor"):
        app, db = median(f"{phase}_app_us"), median(f"{phase}_db_us")
        label = "append (one entry)" if phase == "append" else "ceiling: an empty transaction"
        print(f"| {label} | {app:.0f} | {db:.0f} | {app + db:.0f} | {median(f'{phase}_wall_us'):.0f} |")
    cost = [r["append_app_us"] + r["append_db_us"] - r["floor_app_us"] - r["floor_db_us"] for r in rows]
    print(f"| **the append's own cost** (append - ceiling) | | | **{statistics.median(cost):.0f}** | |")
    print(f"\nthe append call alone, before the commit (median of every call): {median('call_us'):.0f} us of app CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=2_000, help="transactions per phase and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preseed", type=int, default=100_000, help="entries in the log before measuring")
    parser.add_argument("--proofs", type=int, default=500, help="random proofs of each kind at the end")
    parser.add_argument("--postgres-url", help="also measure this PostgreSQL database (everything in it is lost)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report("SQLite", bench(fresh_database(None, tmp, "log"), args))
        if args.postgres_url:
            report("PostgreSQL", bench(fresh_database(args.postgres_url, tmp, "log"), args))


if __name__ == "__main__":
    main()
