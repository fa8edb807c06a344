"""Test names compared by their bytes on PostgreSQL: ``test_names.name`` in the "C" collation.

Every upload that brings test names the server never saw inserts them, each into the unique
index on ``name``. In a database whose default collation is a language's (``en_US.UTF-8``, or an
ICU one), every comparison in that index and in the sort that orders the inserts goes through the
collation library; in "C" it is a byte comparison. Test names are identifiers, never shown in a
language's order, and SQLite already compares them by their bytes (BINARY), so both databases now
order them alike. Inserting 1,500 new names into a table of 94,500 (EXPLAIN ANALYZE, median of 4,
a busy machine): 27 ms with the en-US ICU collation, 18 ms with "C"; the default collation of
this server's databases, C.UTF-8, 20 ms.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite compares text by its bytes already
    # Rebuilds the unique index in the new collation.
    op.alter_column(
        "test_names", "name", type_=sa.String(512, collation="C"), existing_type=sa.String(512), existing_nullable=False
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column(
        "test_names", "name", type_=sa.String(512), existing_type=sa.String(512, collation="C"), existing_nullable=False
    )
