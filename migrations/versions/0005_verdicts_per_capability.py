"""Verdicts follow each capability's entries: evaluate again the verdicts stored before.

No schema change. Verdicts stored before (report format 1) were decided from one merged entry
per test name, keeping one capability's aliases: a run that passed a test only under an alias
that one of its two required capabilities gives it was called eligible while the other
capability's report listed the test as not passed. Their reports also called every test that
did not pass "failed" and lacked the per-capability totals RefStack's report page shows.

Each such verdict is evaluated again from what is stored (the guideline snapshot's exact bytes,
the submission's test names by outcome) with the eligibility code of this release, so every
stored verdict follows one rule and has one report layout. A submission whose eligibility
changes gets an audit event (``submission.reevaluate``) naming what was eligible before and
after. Going down leaves the verdicts as they are: older code reads format 2 reports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from refstack_lite_client import eligibility
from refstack_lite_client.guideline import Guideline, UnknownTarget

from refstack_lite import outcomes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTOR = "migration 0005"
_NAMES_PER_QUERY = 500

verdicts = sa.table(
    "submission_verdicts",
    sa.column("submission_id", sa.String),
    sa.column("guideline_revision_id", sa.Integer),
    sa.column("target", sa.String),
    sa.column("eligible", sa.Boolean),
    sa.column("reason", sa.Text),
    sa.column("report", sa.JSON),
)
submissions = sa.table(
    "submissions",
    sa.column("id", sa.String),
    sa.column("vendor_id", sa.String),
    sa.column("passed", sa.LargeBinary),
    sa.column("failed", sa.LargeBinary),
    sa.column("skipped", sa.LargeBinary),
)
revisions = sa.table(
    "guideline_revisions",
    sa.column("id", sa.Integer),
    sa.column("guideline_id", sa.Integer),
    sa.column("digest", sa.String),
    sa.column("content", sa.LargeBinary),
)
guidelines = sa.table("guidelines", sa.column("id", sa.Integer), sa.column("name", sa.String))
test_names = sa.table("test_names", sa.column("id", sa.Integer), sa.column("name", sa.String))
audit_events = sa.table(
    "audit_events",
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("subject_type", sa.String),
    sa.column("subject_id", sa.String),
    sa.column("vendor_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


def upgrade() -> None:
    conn = op.get_bind()
    stale: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(sa.select(verdicts)):
        if row.report.get("format") != eligibility.FORMAT:
            stale[row.submission_id].append(row)
    snapshots: dict[int, tuple[str, str, Guideline]] = {}
    now = datetime.now(UTC)
    for submission_id, rows in stale.items():
        submission = conn.execute(sa.select(submissions).where(submissions.c.id == submission_id)).one()
        by_outcome = [outcomes.unpack(submission.passed), outcomes.unpack(submission.failed)]
        by_outcome.append(outcomes.unpack(submission.skipped))
        names = _names(conn, {i for ids in by_outcome for i in ids})
        run = eligibility.Run.of(*([names[i] for i in ids] for ids in by_outcome))
        before: list[str] = []
        after: list[str] = []
        for row in rows:
            name, digest, guideline = _snapshot(conn, snapshots, row.guideline_revision_id)
            try:
                verdict = eligibility.evaluate_plan(eligibility.plan(guideline, row.target), "sha256:" + digest, run)
            except UnknownTarget as err:
                raise RuntimeError(f"cannot evaluate again the verdict of submission {submission_id}: {err}") from err
            conn.execute(
                sa.update(verdicts)
                .where(
                    verdicts.c.submission_id == submission_id,
                    verdicts.c.guideline_revision_id == row.guideline_revision_id,
                    verdicts.c.target == row.target,
                )
                .values(eligible=verdict.eligible, reason=verdict.reason, report=verdict.summary_json())
            )
            before += [f"{name}/{row.target}"] if row.eligible else []
            after += [f"{name}/{row.target}"] if verdict.eligible else []
        if sorted(before) != sorted(after):
            conn.execute(
                sa.insert(audit_events).values(
                    at=now,
                    actor=ACTOR,
                    action="submission.reevaluate",
                    subject_type="submission",
                    subject_id=submission_id,
                    vendor_id=submission.vendor_id,
                    before={"eligible": sorted(before)},
                    after={"eligible": sorted(after)},
                )
            )


def downgrade() -> None:
    pass


def _names(conn: sa.Connection, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(ids)
    found: dict[int, str] = {}
    for start in range(0, len(wanted), _NAMES_PER_QUERY):
        chunk = wanted[start : start + _NAMES_PER_QUERY]
        query = sa.select(test_names.c.id, test_names.c.name).where(test_names.c.id.in_(chunk))
        found.update((row.id, row.name) for row in conn.execute(query))
    return found


def _snapshot(
    conn: sa.Connection, cache: dict[int, tuple[str, str, Guideline]], revision_id: int
) -> tuple[str, str, Guideline]:
    """The guideline's name, the snapshot's digest and the parsed document, read once per snapshot."""
    if revision_id not in cache:
        row = conn.execute(
            sa.select(guidelines.c.name, revisions.c.digest, revisions.c.content)
            .join(guidelines, guidelines.c.id == revisions.c.guideline_id)
            .where(revisions.c.id == revision_id)
        ).one()
        cache[revision_id] = (row.name, row.digest, Guideline.from_bytes(row.content))
    return cache[revision_id]
