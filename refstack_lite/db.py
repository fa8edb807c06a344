"""Engine and per-request session."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

EXTENSION = "refstack_lite.db"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


WRITE_FIRST = {"sqlite_begin": "IMMEDIATE"}


def begin_writing(session: Session) -> None:
    """Start the session's next transaction as a writer.

    SQLite cannot upgrade a read transaction to a write when another connection wrote after it
    began (SQLITE_BUSY_SNAPSHOT, which its busy timeout does not wait out). A transaction that
    reads and then writes, such as an intake, therefore takes the write lock when it begins and
    waits for it there. Other databases begin as usual.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    session.commit()
    session.connection(execution_options=WRITE_FIRST)


def _sqlite_begin(connection: Connection) -> None:
    # pysqlite's own implicit BEGIN is off (isolation_level None): we say when and how to begin.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def init_app(app: Flask, engine: Engine) -> None:
    app.extensions[EXTENSION] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine_of(app: Flask) -> Engine:
    factory: sessionmaker[Session] = app.extensions[EXTENSION]
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def get_session() -> Session:
    """The session of the current request or app context, created on first use."""
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions[EXTENSION]
        g.db_session = factory()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> Any:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
