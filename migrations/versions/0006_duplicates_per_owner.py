"""Duplicates per owner: the same bytes or signed results may be stored once by each vendor and
once in the anonymous pool; a submission records whether its cpid was another vendor's.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ANONYMOUS = sa.text("vendor_id IS NULL")
DIGESTS = ("envelope_digest", "payload_digest")

# Results already stored get what intake now records: whether a product version of a vendor
# other than theirs (any vendor, for an anonymous upload) has their cpid.
MARK_FOREIGN_CPIDS = """
UPDATE submissions SET foreign_cpid = EXISTS (
    SELECT 1 FROM product_versions JOIN products ON products.id = product_versions.product_id
    WHERE product_versions.cpid = submissions.cpid
      AND (submissions.vendor_id IS NULL OR products.vendor_id <> submissions.vendor_id)
)
WHERE submissions.cpid IS NOT NULL AND submissions.cpid <> ''
"""


def upgrade() -> None:
    # On SQLite the batch rebuilds the table (env.py turns foreign keys off around it, so the
    # rebuild does not cascade to the verdicts and evidence); elsewhere it alters in place.
    with op.batch_alter_table("submissions") as batch:
        for column in DIGESTS:
            batch.drop_constraint(f"uq_submissions_{column}", type_="unique")
            batch.create_unique_constraint(f"uq_submissions_vendor_id_{column}", ["vendor_id", column])
        batch.add_column(sa.Column("foreign_cpid", sa.Boolean(), server_default=sa.false(), nullable=False))
    for column in DIGESTS:
        op.create_index(
            f"uq_submissions_anonymous_{column}",
            "submissions",
            [column],
            unique=True,
            sqlite_where=ANONYMOUS,
            postgresql_where=ANONYMOUS,
        )
    op.execute(MARK_FOREIGN_CPIDS)


def downgrade() -> None:
    # Fails while two owners hold the same results: the old unique constraints cannot hold them.
    for column in DIGESTS:
        op.drop_index(f"uq_submissions_anonymous_{column}", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("foreign_cpid")
        for column in DIGESTS:
            batch.drop_constraint(f"uq_submissions_vendor_id_{column}", type_="unique")
            batch.create_unique_constraint(f"uq_submissions_{column}", [column])
