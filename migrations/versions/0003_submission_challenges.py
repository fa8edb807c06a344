"""Submission challenges: single-use nonces a signed test run carries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_challenges",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("vendor_id", sa.String(36), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("issued_to", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_to"], ["users.id"], name="fk_submission_challenges_issued_to", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name="fk_submission_challenges_vendor_id", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_submission_challenges"),
        sa.UniqueConstraint("nonce", name="uq_submission_challenges_nonce"),
    )
    op.create_index("ix_submission_challenges_vendor_id", "submission_challenges", ["vendor_id"])


def downgrade() -> None:
    op.drop_table("submission_challenges")
