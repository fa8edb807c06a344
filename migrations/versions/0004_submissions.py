"""Submissions: interned test names, signed results as received, their verdicts and evidence.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "test_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_test_names"),
        sa.UniqueConstraint("name", name="uq_test_names_name"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("vendor_id", sa.String(length=36), nullable=True),
        sa.Column("signing_key_id", sa.String(length=36), nullable=True),
        sa.Column("keyid", sa.String(length=64), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("envelope_digest", sa.String(length=71), nullable=False),
        sa.Column("payload_digest", sa.String(length=71), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("envelope_size", sa.Integer(), nullable=False),
        sa.Column("guideline_revision_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=100), nullable=True),
        sa.Column("product_version_id", sa.String(length=36), nullable=True),
        sa.Column("cpid", sa.String(length=200), nullable=True),
        sa.Column("challenge_id", sa.String(length=36), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("passed_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("passed", sa.LargeBinary(), nullable=False),
        sa.Column("failed", sa.LargeBinary(), nullable=False),
        sa.Column("skipped", sa.LargeBinary(), nullable=False),
        sa.Column("evidence_digest", sa.String(length=71), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["submission_challenges.id"],
            name="fk_submissions_challenge_id",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["guideline_revision_id"],
            ["guideline_revisions.id"],
            name="fk_submissions_guideline_revision_id",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_version_id"],
            ["product_versions.id"],
            name="fk_submissions_product_version_id",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signing_key_id"], ["signing_keys.id"], name="fk_submissions_signing_key_id", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name="fk_submissions_submitted_by", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendors.id"], name="fk_submissions_vendor_id", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.UniqueConstraint("challenge_id", name="uq_submissions_challenge_id"),
        sa.UniqueConstraint("envelope_digest", name="uq_submissions_envelope_digest"),
        sa.UniqueConstraint("payload_digest", name="uq_submissions_payload_digest"),
    )
    op.create_index("ix_submissions_product_version_id", "submissions", ["product_version_id"])
    op.create_index("ix_submissions_received", "submissions", ["received_at", "id"])
    op.create_index("ix_submissions_signing_key_id", "submissions", ["signing_key_id"])
    op.create_index("ix_submissions_vendor_id", "submissions", ["vendor_id"])

    op.create_table(
        "submission_evidence",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name="fk_submission_evidence_submission_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name="fk_submission_evidence_uploaded_by", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("submission_id", name="pk_submission_evidence"),
    )
    op.create_table(
        "submission_verdicts",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("guideline_revision_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["guideline_revision_id"],
            ["guideline_revisions.id"],
            name="fk_submission_verdicts_guideline_revision_id",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name="fk_submission_verdicts_submission_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("submission_id", "guideline_revision_id", "target", name="pk_submission_verdicts"),
    )
    op.create_index("ix_submission_verdicts_guideline_revision_id", "submission_verdicts", ["guideline_revision_id"])
    if op.get_bind().dialect.name == "postgresql":
        # lz4 compresses a 280 KB envelope in about 1 ms where the default pglz takes 5 ms
        # (research/perf-limits.md section 6); a server built without lz4 keeps pglz.
        op.execute(
            "DO $$ BEGIN ALTER TABLE submissions ALTER COLUMN envelope SET COMPRESSION lz4; "
            "EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL; END $$"
        )


def downgrade() -> None:
    op.drop_table("submission_verdicts")
    op.drop_table("submission_evidence")
    op.drop_table("submissions")
    op.drop_table("test_names")
