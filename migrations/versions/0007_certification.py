"""Certification: requests (checked, then pending review) and the records approval makes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "RESTRICT") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}", ondelete=ondelete)


def upgrade() -> None:
    t = "certification_requests"
    op.create_table(
        t,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=36), nullable=False),
        sa.Column("product_version_id", sa.String(length=36), nullable=False),
        sa.Column("program", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("guideline_revision_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'denied', 'withdrawn')", name="ck_certification_requests_state"
        ),
        _fk(t, "vendor_id", "vendors.id"),
        _fk(t, "product_version_id", "product_versions.id"),
        _fk(t, "guideline_revision_id", "guideline_revisions.id"),
        _fk(t, "submission_id", "submissions.id"),
        _fk(t, "requested_by", "users.id", "SET NULL"),
        _fk(t, "reviewer_id", "users.id", "SET NULL"),
        _fk(t, "withdrawn_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    for column in ("vendor_id", "product_version_id", "program", "submission_id"):
        op.create_index(f"ix_{t}_{column}", t, [column])
    op.create_index("ix_certification_requests_queue", t, ["state", "requested_at"])

    t = "certifications"
    op.create_table(
        t,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("vendor_id", sa.String(length=36), nullable=False),
        sa.Column("product_version_id", sa.String(length=36), nullable=False),
        sa.Column("program", sa.String(length=100), nullable=False),
        sa.Column("guideline_name", sa.String(length=100), nullable=False),
        sa.Column("guideline_revision_id", sa.Integer(), nullable=False),
        sa.Column("guideline_digest", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("submission_digest", sa.String(length=71), nullable=False),
        sa.Column("signing_key_id", sa.String(length=36), nullable=True),
        sa.Column("signer_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        _fk(t, "request_id", "certification_requests.id"),
        _fk(t, "vendor_id", "vendors.id"),
        _fk(t, "product_version_id", "product_versions.id"),
        _fk(t, "guideline_revision_id", "guideline_revisions.id"),
        _fk(t, "submission_id", "submissions.id"),
        _fk(t, "signing_key_id", "signing_keys.id"),
        _fk(t, "reviewer_id", "users.id", "SET NULL"),
        _fk(t, "revoked_by", "users.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("request_id", name=f"uq_{t}_request_id"),
    )
    for column in ("vendor_id", "product_version_id", "program", "guideline_name", "submission_id"):
        op.create_index(f"ix_{t}_{column}", t, [column])


def downgrade() -> None:
    op.drop_table("certifications")
    op.drop_table("certification_requests")
