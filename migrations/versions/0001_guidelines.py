"""Guidelines and their immutable revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guidelines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("family", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_guidelines"),
        sa.UniqueConstraint("name", name="uq_guidelines_name"),
    )
    op.create_index("ix_guidelines_family", "guidelines", ["family"])
    op.create_table(
        "guideline_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "guideline_id",
            sa.Integer(),
            sa.ForeignKey("guidelines.id", ondelete="RESTRICT", name="fk_guideline_revisions_guideline_id"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metadata_id", sa.String(100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_guideline_revisions"),
        sa.UniqueConstraint("guideline_id", "number", name="uq_guideline_revisions_guideline_id_number"),
    )
    op.create_index("ix_guideline_revisions_digest", "guideline_revisions", ["digest"])
    op.create_index("ix_guideline_revisions_current", "guideline_revisions", ["guideline_id", "is_current"])


def downgrade() -> None:
    op.drop_table("guideline_revisions")
    op.drop_table("guidelines")
