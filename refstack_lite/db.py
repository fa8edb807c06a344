"""Engine and per-request session."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

EXTENSION = "refstack_lite.db"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout. JSON columns go
    through orjson: a stored report is written and read several times faster than with ``json``."""
    engine = create_engine(
        url, pool_pre_ping=not url.startswith("sqlite"), json_serializer=_json_text, json_deserializer=orjson.loads
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _json_text(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def begin_writing(session: Session) -> None:
    """On SQLite, end the session's transaction and begin the next one holding the write lock.

    pysqlite begins a transaction only at the first write, so reads before it see the latest
    data; but reads and then writes that must not interleave with another writer (two uploads of
    the same evidence) need the lock first: ``BEGIN IMMEDIATE`` waits for it (busy timeout) and
    keeps it to the commit. Other databases lock rows instead (``FOR UPDATE``) and need nothing.
    When nothing was written or is waiting to be (only reads ran, outside any SQLite
    transaction), there is nothing to commit first.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if session.new or session.dirty or session.deleted or _writing(connection):
        session.commit()
        connection = session.connection()
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _writing(connection: Connection) -> bool:
    driver = connection.connection.driver_connection
    return bool(getattr(driver, "in_transaction", True))


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
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


def sessions(app: Flask) -> sessionmaker[Session]:
    """The app's session factory, for work outside a request (background jobs)."""
    factory: sessionmaker[Session] = app.extensions[EXTENSION]
    return factory


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
