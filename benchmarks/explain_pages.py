"""The query plans of the pages a benchmark measures: each page is rendered once in-process, every
SQL statement it issues is captured (a SQLAlchemy ``before_cursor_execute`` listener) and then
explained with the same parameters: ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN
QUERY PLAN`` on SQLite. ANALYZE runs the statement; the pages only read, so nothing changes.

Each page is rendered twice and the second rendering's statements are explained, so that what a
worker caches after its first request (the programs, parsed guidelines) is left out, as in a
benchmark's steady state.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any


@contextmanager
def captured(engine: Engine) -> Iterator[list[Statement]]:
    found: list[Statement] = []

    def note(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if not executemany:
            found.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", note)


def plan(engine: Engine, statement: Statement) -> str:
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement.sql, statement.parameters).all()
        conn.rollback()
    if engine.dialect.name == "postgresql":
        return "\n".join(str(row[0]) for row in rows)
    return "\n".join(f"{row[1]:>3} {row[2]:>3}  {row[3]}" for row in rows)


def explain(database_url: str, pages: Sequence[tuple[str, str]], out: Any = sys.stdout) -> int:
    """Print every statement of each (label, path) with its plan; how many statements in all."""
    from refstack_lite.app import create_app
    from refstack_lite.db import engine_of

    # Keeping no public answer: every statement a page costs when it is computed.
    env = {"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ENV": "development"}
    app = create_app({**env, "REFSTACK_LITE_PUBLIC_CACHE_MB": "0"})
    engine = engine_of(app)
    client = app.test_client()
    total = 0
    try:
        for label, path in pages:
            first = client.get(path)
            if first.status_code != 200:
                sys.exit(f"GET {path} answered {first.status_code}")
            with captured(engine) as statements:
                client.get(path)
            print(f"=== {label}: GET {path} ({len(statements)} statements)", file=out)
            for n, statement in enumerate(statements, 1):
                print(f"--- {label} statement {n}\n{statement.sql}\n-- parameters: {statement.parameters!r}", file=out)
                print(plan(engine, statement), file=out)
            total += len(statements)
    finally:
        engine.dispose()
    return total
