"""Re-evaluation after a guideline revision (issue 12, 5a): verdicts against the new snapshot.

A new revision of a guideline (a test newly flagged, a status change) may change the verdicts of
the submissions already evaluated against an earlier revision of it: v2 bundles that named it
and v1 uploads evaluated against it while it was accepted. ``reevaluate_batch`` evaluates the
next batch of those submissions against the new snapshot with the intake's own code
(``store.evaluate``'s plans, ``eligibility.evaluate_plan``) and adds NEW verdict rows pinned
to it; the rows of earlier revisions stay as history. A submission that has verdicts for the
new revision already is never evaluated again, so running the job twice changes nothing the
second time, and a job stopped half-way goes on where it stopped.

Each batch records a ``guideline.reevaluate`` audit event, and each submission whose
eligibility changed a ``submission.reevaluate`` event (as migration 0005 does) naming what was
eligible before and after. ``changed`` lists, per target, the submissions whose eligibility
differs between the new revision and the one evaluated before it: what the certification
side reviews. Functions take a session and plain values and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from refstack_lite_client import eligibility
from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.orm import Session, aliased, joinedload

from refstack_lite import guideline_registry, outcomes
from refstack_lite.db import begin_writing
from refstack_lite.models import GuidelineRevision, Submission, SubmissionVerdict
from refstack_lite.services import audit, test_names
from refstack_lite.services.actors import Actor

BATCH = 500  # submissions per transaction


@dataclass(frozen=True)
class Batch:
    """What one batch did: how many submissions it evaluated, and the last one's id (the next
    batch starts after it), and those whose eligibility changed for some target."""

    evaluated: int
    last_id: str | None
    changed: tuple[str, ...]


def revision_of(session: Session, revision_id: int, *, lock: bool = False) -> GuidelineRevision:
    """The revision; ``lock`` makes concurrent re-evaluations of it take turns, batch by batch
    (the row lock on PostgreSQL, the database's write lock on SQLite), so that no two evaluate
    the same submission."""
    if lock:
        begin_writing(session)
    query = (
        select(GuidelineRevision)
        .where(GuidelineRevision.id == revision_id)
        .options(joinedload(GuidelineRevision.guideline))
    )
    revision = session.scalar(query.with_for_update(of=GuidelineRevision) if lock else query)
    if revision is None:
        raise LookupError(f"no guideline revision {revision_id}")
    return revision


def _pending(session: Session, revision: GuidelineRevision, after: str | None, limit: int) -> list[str]:
    """Ids of submissions with a verdict for an earlier revision of the guideline and none for
    ``revision``, in id order after ``after``."""
    older = aliased(SubmissionVerdict)
    earlier = (
        select(GuidelineRevision.id)
        .where(GuidelineRevision.guideline_id == revision.guideline_id, GuidelineRevision.number < revision.number)
        .scalar_subquery()
    )
    done = exists().where(
        SubmissionVerdict.submission_id == older.submission_id,
        SubmissionVerdict.guideline_revision_id == revision.id,
    )
    query = select(older.submission_id).where(older.guideline_revision_id.in_(earlier), ~done).distinct()
    if after is not None:
        query = query.where(older.submission_id > after)
    return list(session.scalars(query.order_by(older.submission_id).limit(limit)))


def reevaluate_batch(
    session: Session,
    actor: Actor,
    revision: GuidelineRevision,
    now: datetime,
    after: str | None = None,
    limit: int = BATCH,
) -> Batch:
    """Evaluate the next ``limit`` affected submissions (ids after ``after``) against ``revision``."""
    ids = _pending(session, revision, after, limit)
    if not ids:
        return Batch(0, None, ())
    rows = session.execute(
        select(Submission.id, Submission.vendor_id, Submission.passed, Submission.failed, Submission.skipped).where(
            Submission.id.in_(ids)
        )
    ).all()
    unpacked = {
        row.id: (row.vendor_id, outcomes.unpack(row.passed), outcomes.unpack(row.failed), outcomes.unpack(row.skipped))
        for row in rows
    }
    names = test_names.names_of(session, [i for _v, *lists in unpacked.values() for ids_ in lists for i in ids_])
    before = _previous_eligibility(session, revision, ids)
    plans = guideline_registry.evaluation_plans(session, (revision.id, revision.digest))
    digest = "sha256:" + revision.digest
    name = revision.guideline.name
    new_rows: list[dict[str, object]] = []
    changed: list[str] = []
    for submission_id in ids:
        vendor_id, passed, failed, skipped = unpacked[submission_id]
        run = eligibility.Run.of(*([names[i] for i in lst] for lst in (passed, failed, skipped)))
        verdicts = [eligibility.evaluate_plan(plan, digest, run) for plan in plans]
        new_rows += [
            {
                "submission_id": submission_id,
                "guideline_revision_id": revision.id,
                "target": v.target,
                "eligible": v.eligible,
                "reason": v.reason,
                "report": v.summary_json(),
            }
            for v in verdicts
        ]
        was = before.get(submission_id, Previous(None, {}))
        now_eligible = sorted(f"{name}/{v.target}" for v in verdicts if v.eligible)
        was_eligible = sorted(f"{name}/{target}" for target, eligible in was.eligible.items() if eligible)
        if now_eligible != was_eligible:
            changed.append(submission_id)
            audit.record(
                session,
                actor,
                "submission.reevaluate",
                "submission",
                submission_id,
                at=now,
                vendor_id=vendor_id,
                before={"eligible": was_eligible, "revision": was.number},
                after={"eligible": now_eligible, "revision": revision.number},
            )
    if new_rows:
        session.execute(insert(SubmissionVerdict), new_rows)
    audit.record(
        session,
        actor,
        "guideline.reevaluate",
        "guideline",
        name,
        at=now,
        after={
            "revision": revision.number,
            "digest": digest,
            "submissions": len(ids),
            "changed": len(changed),
            "first": ids[0],
            "last": ids[-1],
        },
    )
    session.flush()
    return Batch(len(ids), ids[-1], tuple(changed))


@dataclass
class Previous:
    """A submission's eligibility per target under the latest earlier revision it was evaluated against."""

    number: int | None
    eligible: dict[str, bool]


def _previous_eligibility(session: Session, revision: GuidelineRevision, ids: Sequence[str]) -> dict[str, Previous]:
    """For each submission, its verdicts under the latest earlier revision of the guideline it has."""
    query = (
        select(
            SubmissionVerdict.submission_id,
            SubmissionVerdict.target,
            SubmissionVerdict.eligible,
            GuidelineRevision.number,
        )
        .join(GuidelineRevision, GuidelineRevision.id == SubmissionVerdict.guideline_revision_id)
        .where(
            SubmissionVerdict.submission_id.in_(ids),
            GuidelineRevision.guideline_id == revision.guideline_id,
            GuidelineRevision.number < revision.number,
        )
    )
    latest: dict[str, Previous] = {}
    for row in session.execute(query):
        found = latest.setdefault(row.submission_id, Previous(row.number, {}))
        if found.number is not None and row.number > found.number:
            found.number, found.eligible = row.number, {}
        if row.number == found.number:
            found.eligible[row.target] = row.eligible
    return latest


def changed(session: Session, revision_id: int) -> dict[str, list[str]]:
    """Per target, the ids of the submissions whose eligibility under revision ``revision_id``
    differs from their verdict under the latest earlier revision of the same guideline they were
    evaluated against (a target new in this revision counts when it is eligible)."""
    revision = revision_of(session, revision_id)
    new = aliased(SubmissionVerdict)
    old = aliased(SubmissionVerdict)
    old_revision = aliased(GuidelineRevision)
    previous_number = (
        select(func.max(GuidelineRevision.number))
        .join(SubmissionVerdict, SubmissionVerdict.guideline_revision_id == GuidelineRevision.id)
        .where(
            SubmissionVerdict.submission_id == new.submission_id,
            GuidelineRevision.guideline_id == revision.guideline_id,
            GuidelineRevision.number < revision.number,
        )
        .correlate(new)
        .scalar_subquery()
    )
    query = (
        select(new.target, new.submission_id, new.eligible, old.eligible.label("was"))
        .select_from(new)
        .join(
            old_revision,
            and_(old_revision.guideline_id == revision.guideline_id, old_revision.number == previous_number),
        )
        .outerjoin(
            old,
            and_(
                old.submission_id == new.submission_id,
                old.guideline_revision_id == old_revision.id,
                old.target == new.target,
            ),
        )
        .where(new.guideline_revision_id == revision.id)
        .order_by(new.target, new.submission_id)
    )
    found: dict[str, list[str]] = {}
    for row in session.execute(query):
        if bool(row.eligible) != bool(row.was):
            found.setdefault(row.target, []).append(row.submission_id)
    return found
