"""The public directory's indexes: certifications by decision and revocation time (newest
first, the feed), by program and guideline (the accepted window, the filters), products by name.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_certifications_decided", "certifications", ["decided_at", "id"]),
    ("ix_certifications_revoked", "certifications", ["revoked_at", "id"]),
    ("ix_certifications_window", "certifications", ["program", "guideline_name"]),
    ("ix_products_name", "products", ["name"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
