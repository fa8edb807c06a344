"""Change counters of public answers: ``change_counters`` row ``directory`` grows with every
committed change that a public answer (a directory page, its API, export, feed or a badge) may
show, and row ``public_v1`` with every change of RefStack's public list of uploads, so a process
may keep those answers until it reads another value (``directory.changes``).

Triggers keep it, not the services, so no code path can change what the public sees and leave
the counter behind. They fire on every write to the tables the public answers read, and on a
submission or verdict only when a certification rests on that submission: an upload, which
certifies nothing, leaves the counter (and every kept answer) alone.

On PostgreSQL the trigger is deferred to the commit and bumps the counter once per transaction
(a transaction-local setting remembers it). The counter's row lock is therefore taken last and
held only through the commit: two writers never wait for each other's other rows while holding
it, which an immediate bump would risk (a deadlock between, say, a revocation and a decision).
SQLite writers are serialised anyway; its row triggers bump at once.

``public_v1`` counts changes of the public v1 uploads (the rows ``submission_counts`` counts, on
the same events as migration 0010's trigger) and of the products and versions the list names.

SQLite drops a table's triggers when a batch migration rebuilds the table: a later migration that
rebuilds one of these tables must create them again (``create_triggers``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COUNTER = "directory"  # refstack_lite.directory.changes.DIRECTORY
# Every write to these may change a public answer.
TABLES = (
    "guidelines",
    "guideline_revisions",
    "vendors",
    "products",
    "product_versions",
    "signing_keys",
    "certification_requests",
    "certifications",
)
# A write to these matters only when a certification rests on the submission: (table, the
# column naming the submission, the events that can touch a certified one). An upload inserts
# a submission no certification can name yet; a re-evaluation inserts and replaces verdicts.
CERTIFIED_ONLY = (
    ("submissions", "id", ("UPDATE", "DELETE")),
    ("submission_verdicts", "submission_id", ("INSERT", "UPDATE", "DELETE")),
)
# An upsert: a deleted row starts again from 1, which readers take as another state like any.
UPSERT = (
    "INSERT INTO change_counters (name, value) VALUES ({name}, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = change_counters.value + 1"
)
BUMP = UPSERT.format(name=f"'{COUNTER}'")
PUBLIC_V1 = "public_v1"  # refstack_lite.directory.changes.PUBLIC_V1
PUBLIC_V1_TABLES = ("products", "product_versions")
PUBLIC_V1_ROW = "{row}.source = 'v1' AND {row}.public"
# Bumps the counter its argument names, once per transaction.
COUNT_FUNCTION = "count_change"
FUNCTION = "directory_changed"
DONE = "refstack_lite.directory_changed"  # the transaction-local setting: bumped already


def _pg_function() -> str:
    """One trigger function for all tables; its argument, when given, names the column that
    holds the submission the row belongs to (only certified submissions count)."""
    return (
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "  # noqa: S608 - constants
        "DECLARE row_data record; BEGIN "
        f"IF current_setting('{DONE}', true) = 'yes' THEN RETURN NULL; END IF; "
        "IF TG_NARGS > 0 THEN "
        "  IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF; "
        "  IF TG_ARGV[0] = 'id' THEN "
        "    IF NOT EXISTS (SELECT 1 FROM certifications WHERE submission_id = row_data.id) THEN RETURN NULL; END IF; "
        "  ELSIF NOT EXISTS (SELECT 1 FROM certifications WHERE submission_id = row_data.submission_id) THEN "
        "    RETURN NULL; "
        "  END IF; "
        "END IF; "
        f"{BUMP}; "
        f"PERFORM set_config('{DONE}', 'yes', true); "
        "RETURN NULL; END $$"
    )


def _pg_trigger(table: str, events: tuple[str, ...], column: str | None) -> str:
    argument = f"'{column}'" if column else ""
    return (
        f"CREATE CONSTRAINT TRIGGER {table}_{FUNCTION} AFTER {' OR '.join(events)} ON {table} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}({argument})"
    )


def _sqlite_triggers(table: str, events: tuple[str, ...], column: str | None) -> list[str]:
    out = []
    for event in events:
        row = "OLD" if event == "DELETE" else "NEW"
        certified = f"SELECT 1 FROM certifications WHERE submission_id = {row}.{column}"  # noqa: S608 - constants
        when = f" WHEN EXISTS ({certified})" if column else ""
        out.append(
            f"CREATE TRIGGER {table}_{FUNCTION}_{event.lower()} AFTER {event} ON {table}{when} BEGIN {BUMP}; END"
        )
    return out


def _triggers() -> list[tuple[str, tuple[str, ...], str | None]]:
    every = ("INSERT", "UPDATE", "DELETE")
    return [(table, every, None) for table in TABLES] + [
        (table, events, column) for table, column, events in CERTIFIED_ONLY
    ]


def _public_v1_triggers(sqlite: bool) -> list[tuple[str, str, str, str]]:
    """(name, event, table, condition or "") of each trigger that counts ``public_v1``'s changes."""
    new, old = PUBLIC_V1_ROW.format(row="NEW"), PUBLIC_V1_ROW.format(row="OLD")
    out = [
        ("submissions_public_v1_insert", "INSERT", "submissions", new),
        ("submissions_public_v1_delete", "DELETE", "submissions", old),
        ("submissions_public_v1_update", "UPDATE", "submissions", f"({new}) OR ({old})"),
    ]
    for table in PUBLIC_V1_TABLES:
        out += [(f"{table}_public_v1_{e.lower()}", e, table, "") for e in ("INSERT", "UPDATE", "DELETE")]
    if sqlite:  # SQLite stores booleans as 0 and 1
        out = [(n, e, t, c.replace(".public", ".public = 1")) for n, e, t, c in out]
    return out


def _pg_count_function() -> str:
    done = "'refstack_lite.changed_' || TG_ARGV[0]"
    return (
        f"CREATE FUNCTION {COUNT_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF current_setting({done}, true) = 'yes' THEN RETURN NULL; END IF; "
        f"{UPSERT.format(name='TG_ARGV[0]')}; "
        f"PERFORM set_config({done}, 'yes', true); "
        "RETURN NULL; END $$"
    )


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_function())
        for table, events, column in _triggers():
            op.execute(_pg_trigger(table, events, column))
        op.execute(_pg_count_function())
        for name, event, table, condition in _public_v1_triggers(sqlite=False):
            when = f" WHEN ({condition})" if condition else ""
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table} DEFERRABLE INITIALLY DEFERRED "
                f"FOR EACH ROW{when} EXECUTE FUNCTION {COUNT_FUNCTION}('{PUBLIC_V1}')"
            )
        return
    for table, events, column in _triggers():
        for statement in _sqlite_triggers(table, events, column):
            op.execute(statement)
    for name, event, table, condition in _public_v1_triggers(sqlite=True):
        when = f" WHEN {condition}" if condition else ""
        bump = UPSERT.format(name=f"'{PUBLIC_V1}'")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {bump}; END")


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _, table, _ in _public_v1_triggers(sqlite=False):
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {COUNT_FUNCTION}()")
        for table, _, _ in _triggers():
            op.execute(f"DROP TRIGGER {table}_{FUNCTION} ON {table}")
        op.execute(f"DROP FUNCTION {FUNCTION}()")
        return
    for name, _, _, _ in _public_v1_triggers(sqlite=True):
        op.execute(f"DROP TRIGGER {name}")
    for table, events, _ in _triggers():
        for event in events:
            op.execute(f"DROP TRIGGER {table}_{FUNCTION}_{event.lower()}")


def upgrade() -> None:
    op.create_table(
        "change_counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_change_counters"),
    )
    for name in (COUNTER, PUBLIC_V1):
        op.execute(f"INSERT INTO change_counters (name, value) VALUES ('{name}', 0)")  # noqa: S608 - constants
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("change_counters")
