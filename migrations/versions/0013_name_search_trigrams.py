"""The directory's name search by trigrams on PostgreSQL: GIN indexes of ``lower(name)`` of the
products and the vendors (``pg_trgm``).

The search matches a text anywhere in a vendor's or product's name (``lower(name) LIKE
'%text%'``), which a B-tree cannot answer: every search read all 10,000 products and 1,000
vendors of the benchmark's dataset and lower-cased both names on each joined row. A trigram
index answers such a LIKE for a text of three characters or more. SQLite has no such index and
keeps scanning, which is quick at the sizes it serves.

``pg_trgm`` ships with PostgreSQL and is a trusted extension (PostgreSQL 13 and later): the owner
of the database may create it. Where it is not available, or the migrating user may not create
it, the search works as before without the indexes, and the migration says so.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import logging

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEXES = (("ix_products_name_trigrams", "products"), ("ix_vendors_name_trigrams", "vendors"))  # OPTIONAL_INDEXES
log = logging.getLogger("alembic.runtime.migration")


def _can_create_pg_trgm() -> bool:
    row = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'), "
            "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') "
            "AND has_database_privilege(current_database(), 'CREATE')"
        )
        .one()
    )
    return bool(row[0] or row[1])


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    if not _can_create_pg_trgm():
        log.warning("pg_trgm is not available to this user: the name search runs without trigram indexes")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (lower(name) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: other objects of the database may use it.
