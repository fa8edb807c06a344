"""Alembic environment: the engine comes from refstack-lite (``refstack_lite.migrate``) or the
``REFSTACK_LITE_DATABASE_URL`` variable when alembic is run by hand."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, Engine

from refstack_lite.db import make_engine
from refstack_lite.models import OPTIONAL_INDEXES, Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = make_engine(os.environ["REFSTACK_LITE_DATABASE_URL"])


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate leaves out the indexes a migration makes only where it can."""
    return not (type_ == "index" and reflected and name in OPTIONAL_INDEXES)


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """A batch migration rebuilds a SQLite table: with foreign keys on, dropping the old table
    would delete (cascade to) the rows that refer to it. The pragma only works between transactions."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=_include,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)
