"""Alembic environment: the engine comes from refstack-lite (``refstack_lite.migrate``) or the
``REFSTACK_LITE_DATABASE_URL`` variable when alembic is run by hand."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine

from refstack_lite.db import make_engine
from refstack_lite.models import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = make_engine(os.environ["REFSTACK_LITE_DATABASE_URL"])

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
