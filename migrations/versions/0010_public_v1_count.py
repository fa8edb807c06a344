"""RefStack's public list counted as it grows: ``submission_counts`` holds how many public v1
uploads there are, kept by a trigger on ``submissions`` in the same transaction as each insert.

``GET /v1/results`` answers its page count; counting the partial index on every request cost
about 2.5 ms of PostgreSQL CPU per request with 20,000 public uploads (an index-only scan of
every entry), growing with the list. The trigger, not the code that stores a submission, keeps
the count, so nothing that inserts, deletes or changes a submission can leave it behind.

SQLite drops a table's triggers when a batch migration rebuilds the table: a later migration that
rebuilds ``submissions`` must create them again (``create_triggers``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NAME = "public_v1"  # models.PUBLIC_V1_COUNT
TRIGGER = "submissions_count_public_v1"
UPSERT = (
    f"INSERT INTO submission_counts (name, total) VALUES ('{NAME}', {{change}}) "  # noqa: S608 - constants
    "ON CONFLICT (name) DO UPDATE SET total = submission_counts.total + excluded.total"
)


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE change integer := 0; BEGIN "
            "IF TG_OP <> 'DELETE' AND NEW.source = 'v1' AND NEW.public THEN change := change + 1; END IF; "
            "IF TG_OP <> 'INSERT' AND OLD.source = 'v1' AND OLD.public THEN change := change - 1; END IF; "
            f"IF change <> 0 THEN {UPSERT.format(change='change')}; END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF source, public ON submissions "
            f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
        )
        return
    public = "{row}.source = 'v1' AND {row}.public"
    for event, condition, change in (
        ("INSERT", public.format(row="NEW"), "1"),
        ("DELETE", public.format(row="OLD"), "-1"),
        (
            "UPDATE OF source, public",
            f"({public.format(row='NEW')}) <> ({public.format(row='OLD')})",
            f"CASE WHEN {public.format(row='NEW')} THEN 1 ELSE -1 END",
        ),
    ):
        name = f"{TRIGGER}_{event.split()[0].lower()}"
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON submissions WHEN {condition} "
            f"BEGIN {UPSERT.format(change=change)}; END"
        )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TRIGGER} ON submissions")
        op.execute(f"DROP FUNCTION {TRIGGER}()")
        return
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER {TRIGGER}_{event}")


def upgrade() -> None:
    op.create_table(
        "submission_counts",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_submission_counts"),
    )
    # Counted and kept from the same moment: no upload may land between the two.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE submissions IN SHARE MODE")
    public = "public" if op.get_bind().dialect.name == "postgresql" else "public = 1"
    op.execute(
        f"INSERT INTO submission_counts (name, total) "  # noqa: S608 - constants
        f"SELECT '{NAME}', count(*) FROM submissions WHERE source = 'v1' AND {public}"
    )
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("submission_counts")
