"""The transparency log (its head, leaves and complete subtrees) and the foundation's
certificates, all append-only in the database itself; the head may only grow by one leaf.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

APPEND_ONLY = ("log_entries", "log_nodes", "certificates")
EMPTY_ROOT = hashlib.sha256(b"").digest()
HEAD_RULE = "log_head only grows, one leaf at a time"


def upgrade() -> None:
    op.create_table(
        "log_head",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_log_head"),
    )
    op.create_table(
        "log_entries",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name="pk_log_entries"),
    )
    op.create_index("ix_log_entries_subject", "log_entries", ["subject"])
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position", name="pk_log_nodes"),
    )
    op.create_table(
        "certificates",
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("statement", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"], ["certifications.id"], name="fk_certificates_certification_id", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("certification_id", name="pk_certificates"),
    )
    op.bulk_insert(
        sa.table(
            "log_head",
            sa.column("name", sa.String),
            sa.column("size", sa.BigInteger),
            sa.column("root", sa.LargeBinary),
            sa.column("frontier", sa.LargeBinary),
        ),
        [{"name": "log", "size": 0, "root": EMPTY_ROOT, "frontier": b""}],
    )
    for table in APPEND_ONLY:
        _refuse(table, ("UPDATE", "DELETE"), f"{table} is append-only")
    _refuse("log_head", ("DELETE",), HEAD_RULE)
    _head_grows_by_one()


def _refuse(table: str, events: tuple[str, ...], message: str) -> None:
    """Refuse ``events`` on ``table`` in the database itself, not only in our code."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_refused() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_refused BEFORE {' OR '.join(events)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_refused()"
        )
        return
    for event in events:
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def _head_grows_by_one() -> None:
    """An append raises the size by one and writes the new root and frontier in the same UPDATE:
    no other change of the head passes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION log_head_grows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.size <> OLD.size + 1 OR NEW.name <> OLD.name "
            f"THEN RAISE EXCEPTION '{HEAD_RULE}'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER log_head_grows BEFORE UPDATE ON log_head FOR EACH ROW EXECUTE FUNCTION log_head_grows()"
        )
        return
    op.execute(
        "CREATE TRIGGER log_head_grows BEFORE UPDATE ON log_head "
        "WHEN NEW.size <> OLD.size + 1 OR NEW.name <> OLD.name "
        f"BEGIN SELECT RAISE(ABORT, '{HEAD_RULE}'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*APPEND_ONLY, "log_head"):
            op.execute(f"DROP TRIGGER {table}_refused ON {table}")
            op.execute(f"DROP FUNCTION {table}_refused()")
        op.execute("DROP TRIGGER log_head_grows ON log_head")
        op.execute("DROP FUNCTION log_head_grows()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute("DROP TRIGGER log_head_no_delete")
        op.execute("DROP TRIGGER log_head_grows")
    op.drop_table("certificates")
    op.drop_table("log_nodes")
    op.drop_table("log_entries")
    op.drop_table("log_head")
