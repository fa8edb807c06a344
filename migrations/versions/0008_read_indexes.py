"""Reads at 100,000 submissions: indexes for the lists, and each verdict's summary on its own.

- ``ix_submissions_vendor_received`` (vendor_id, received_at, id) answers a vendor's members'
  lists newest first from the index; it replaces the index on vendor_id alone, its prefix.
- ``ix_submissions_v1_public_received`` (received_at, id) of the public v1 uploads only: RefStack's
  public list, 20 a page, and its page count, counted in the index.
- ``submission_verdicts.summary``: the totals, totals per capability and platform requirement of
  the report, which lists show; filled here from the reports stored before.

EXPLAIN plans with 100,000 submissions: benchmarks/README.md (``bench_reads.py``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SUBMISSION_COLUMNS = (
    "id",
    "source",
    "vendor_id",
    "signing_key_id",
    "keyid",
    "signature",
    "envelope_digest",
    "payload_digest",
    "envelope_size",
    "guideline_revision_id",
    "target",
    "product_version_id",
    "cpid",
    "challenge_id",
    "submitted_by",
    "started_at",
    "finished_at",
    "received_at",
    "public",
    "passed_count",
    "failed_count",
    "skipped_count",
    "evidence_digest",
    "foreign_cpid",
    "passed",
    "failed",
    "skipped",
    "envelope",
)
KEYS = ("totals", "totals_per_capability", "requires_platform")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite reads a row's columns in order and walks a large value's overflow pages to reach
        # the columns after it: the 250 KB envelope in the middle made reading a page of 50
        # submissions read 12 MB. The rebuilt table has the large values last. (PostgreSQL
        # keeps them out of line anyway.)
        with op.batch_alter_table("submissions", recreate="always", partial_reordering=[SUBMISSION_COLUMNS]):
            pass
    op.create_index("ix_submissions_vendor_received", "submissions", ["vendor_id", "received_at", "id"])
    op.drop_index("ix_submissions_vendor_id", table_name="submissions")
    op.create_index(
        "ix_submissions_v1_public_received",
        "submissions",
        ["received_at", "id"],
        sqlite_where=sa.text("source = 'v1' AND public = 1"),
        postgresql_where=sa.text("source = 'v1' AND public"),
    )
    with op.batch_alter_table("submission_verdicts") as batch:
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        pairs = ", ".join(f"'{key}', report -> '{key}'" for key in KEYS)
        op.execute(f"UPDATE submission_verdicts SET summary = json_build_object({pairs})")  # noqa: S608 - constants
    else:
        pairs = ", ".join(f"'{key}', report -> '$.{key}'" for key in KEYS)
        op.execute(f"UPDATE submission_verdicts SET summary = json_object({pairs})")  # noqa: S608 - constants
    # SQLite rebuilds the table here: the summary goes before the report, as SQLite reads a row's
    # columns in order and would otherwise walk the report's overflow pages to reach it.
    with op.batch_alter_table("submission_verdicts", partial_reordering=[("summary", "report")]) as batch:
        batch.alter_column("summary", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("submission_verdicts") as batch:
        batch.drop_column("summary")
    op.drop_index("ix_submissions_v1_public_received", table_name="submissions")
    op.create_index("ix_submissions_vendor_id", "submissions", ["vendor_id"])
    op.drop_index("ix_submissions_vendor_received", table_name="submissions")
