"""Reading submissions, and attaching their raw evidence: who may see what.

A vendor's submission is seen by its members and the foundation; anyone else gets a 404, so a
private submission's existence is not revealed. Public submissions (anonymous RefStack uploads)
are seen by everyone.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, ColumnElement, Engine, Row, Select, exists, false, func, or_, select, true, type_coerce
from sqlalchemy.orm import Session, aliased, selectinload, undefer

from refstack_lite import outcomes
from refstack_lite.errors import Conflict, InvalidInput, NotFound
from refstack_lite.models import (
    Guideline,
    GuidelineRevision,
    SigningKey,
    Submission,
    SubmissionEvidence,
    SubmissionVerdict,
    Vendor,
)
from refstack_lite.services import audit, test_names
from refstack_lite.services.actors import Actor, require_vendor_member, vendor_roles


@dataclass(frozen=True)
class Filters:
    vendor_id: str | None = None
    product_version_id: str | None = None
    guideline: str | None = None  # guideline name, such as 2020.06
    target: str | None = None
    verdict: str | None = None  # "eligible" or "ineligible"
    source: str | None = None  # "v1" or "v2"
    received_after: datetime | None = None
    received_before: datetime | None = None


class VerdictView(NamedTuple):  # a tuple: a page builds hundreds, a frozen dataclass costs 3x more
    """A verdict as the API shows it. ``report`` holds its summary (``VERDICT_SUMMARY``), or the
    whole report (``eligibility.Verdict.summary_json()``) when that was asked for."""

    guideline: str
    revision: int
    digest: str  # hex, of the revision
    current: bool
    target: str
    eligible: bool
    reason: str
    report: dict[str, Any]

    @classmethod
    def of(cls, verdict: SubmissionVerdict) -> VerdictView:
        revision = verdict.guideline_revision
        return cls(
            revision.guideline.name,
            revision.number,
            revision.digest,
            revision.is_current,
            verdict.target,
            verdict.eligible,
            verdict.reason,
            verdict.report,
        )


class ListedVerdict(NamedTuple):
    """A verdict as lists show it: its guideline and target, and the outcome in totals."""

    guideline: str
    revision: int
    current: bool
    target: str
    eligible: bool
    totals: dict[str, int]


class SubmissionView(NamedTuple):
    """What the API shows of a submission, read in a few statements instead of as ORM objects
    (a page of 50 submissions holds hundreds of verdicts)."""

    id: str
    source: str
    envelope_digest: str
    payload_digest: str
    envelope_size: int
    received_at: datetime
    vendor_id: str | None
    vendor_name: str | None
    key_id: str | None
    key_fingerprint: str | None
    key_status: str | None
    signature: str | None
    guideline: str | None
    revision: int | None
    revision_digest: str | None
    target: str | None
    product_version_id: str | None
    cpid: str | None
    foreign_cpid: bool
    challenged: bool
    public: bool
    started_at: datetime
    finished_at: datetime
    passed_count: int
    failed_count: int
    skipped_count: int
    evidence_digest: str | None
    verdicts: tuple[VerdictView, ...] | tuple[ListedVerdict, ...]  # the latter in lists

    @classmethod
    def of(cls, submission: Submission) -> SubmissionView:
        """From the stored submission in hand (its relationships loaded, as ``store`` returns it)."""
        vendor, key, revision = submission.vendor, submission.signing_key, submission.guideline_revision
        return cls(
            id=submission.id,
            source=submission.source,
            envelope_digest=submission.envelope_digest,
            payload_digest=submission.payload_digest,
            envelope_size=submission.envelope_size,
            received_at=submission.received_at,
            vendor_id=submission.vendor_id,
            vendor_name=None if vendor is None else vendor.name,
            key_id=None if key is None else key.id,
            key_fingerprint=None if key is None else key.fingerprint,
            key_status=None if key is None else key.status,
            signature=submission.signature,
            guideline=None if revision is None else revision.guideline.name,
            revision=None if revision is None else revision.number,
            revision_digest=None if revision is None else revision.digest,
            target=submission.target,
            product_version_id=submission.product_version_id,
            cpid=submission.cpid,
            foreign_cpid=submission.foreign_cpid,
            challenged=submission.challenge_id is not None,
            public=submission.public,
            started_at=submission.started_at,
            finished_at=submission.finished_at,
            passed_count=submission.passed_count,
            failed_count=submission.failed_count,
            skipped_count=submission.skipped_count,
            evidence_digest=submission.evidence_digest,
            verdicts=tuple(VerdictView.of(v) for v in submission.verdicts),
        )


_SUMMARY_COLUMNS = (
    Submission.id,
    Submission.source,
    Submission.envelope_digest,
    Submission.payload_digest,
    Submission.envelope_size,
    Submission.received_at,
    Submission.vendor_id,
    Vendor.name.label("vendor_name"),
    Submission.signing_key_id.label("key_id"),
    SigningKey.fingerprint.label("key_fingerprint"),
    SigningKey.retired_at.label("key_retired_at"),
    SigningKey.revoked_at.label("key_revoked_at"),
    Submission.signature,
    Guideline.name.label("guideline"),
    GuidelineRevision.number.label("revision"),
    GuidelineRevision.digest.label("revision_digest"),
    Submission.target,
    Submission.product_version_id,
    Submission.cpid,
    Submission.foreign_cpid,
    Submission.challenge_id,
    Submission.public,
    Submission.started_at,
    Submission.finished_at,
    Submission.passed_count,
    Submission.failed_count,
    Submission.skipped_count,
    Submission.evidence_digest,
)


def _summaries(*extra: Any) -> Select[*tuple[Any, ...]]:
    """The columns a ``SubmissionView`` needs, with its vendor's, key's and guideline's."""
    return (
        select(*_SUMMARY_COLUMNS, *extra)
        .select_from(Submission)
        .outerjoin(Vendor, Vendor.id == Submission.vendor_id)
        .outerjoin(SigningKey, SigningKey.id == Submission.signing_key_id)
        .outerjoin(GuidelineRevision, GuidelineRevision.id == Submission.guideline_revision_id)
        .outerjoin(Guideline, Guideline.id == GuidelineRevision.guideline_id)
    )


def _listed_verdicts(dialect: str) -> ColumnElement[Any]:
    """Each listed submission's verdicts as one JSON array of ``[revision id, guideline, number,
    current, target, eligible, summary]``, read by the list's own statement.

    A subquery per listed row keeps the lookup of its verdicts an index search whatever the
    planner knows: a second statement for the page's ids (``submission_id IN (…50 ids)``) became a
    parallel scan of the whole verdicts table, about 1 s of PostgreSQL CPU at 100,000 submissions,
    whenever the table had no statistics (before ANALYZE after a bulk load, after pg_restore or
    pg_upgrade), as 50 ids were then estimated at a quarter of the table.
    """
    verdict, revision = SubmissionVerdict, GuidelineRevision
    if dialect == "postgresql":  # a json value goes into the array as it is, without being parsed
        summary: ColumnElement[Any] = verdict.summary.expression
        array, aggregate = func.json_build_array, func.json_agg
    else:
        summary = func.json(verdict.summary)  # JSON, not a string holding it
        array, aggregate = func.json_array, func.json_group_array
    item = array(
        revision.id, Guideline.name, revision.number, revision.is_current, verdict.target, verdict.eligible, summary
    )
    found = (
        select(aggregate(item))
        .select_from(verdict)
        .join(revision, revision.id == verdict.guideline_revision_id)
        .join(Guideline, Guideline.id == revision.guideline_id)
        .where(verdict.submission_id == Submission.id)
        .scalar_subquery()
    )
    return type_coerce(found, JSON).label("verdicts")


def listed_views(rows: Sequence[Row[Any]]) -> list[SubmissionView]:
    """The views of rows selected by ``listing``, each with its ``ListedVerdict``s."""
    return [_view(row, _listed(row.verdicts)) for row in rows]


def _listed(found: list[list[Any]] | None) -> tuple[ListedVerdict, ...]:
    """In the order of ``Submission.verdicts`` (SQLite's aggregate takes no ORDER BY)."""
    ordered = sorted(found or (), key=lambda item: (item[0], item[4]))
    return tuple(
        ListedVerdict(name, number, bool(current), target, bool(eligible), summary["totals"])
        for _, name, number, current, target, eligible, summary in ordered
    )


def views(session: Session, rows: Sequence[Row[Any]], *, report: bool = False) -> list[SubmissionView]:
    """The views of rows selected by ``_summaries``, their verdicts read in one statement: the
    summary of each report, or with ``report`` the whole of it."""
    verdicts = _verdicts(session, [row.id for row in rows], report=report)
    return [_view(row, tuple(verdicts.get(row.id, ()))) for row in rows]


def _view(row: Row[Any], verdicts: tuple[VerdictView, ...] | tuple[ListedVerdict, ...]) -> SubmissionView:
    return SubmissionView(
        id=row.id,
        source=row.source,
        envelope_digest=row.envelope_digest,
        payload_digest=row.payload_digest,
        envelope_size=row.envelope_size,
        received_at=row.received_at,
        vendor_id=row.vendor_id,
        vendor_name=row.vendor_name,
        key_id=row.key_id,
        key_fingerprint=row.key_fingerprint,
        key_status=None if row.key_id is None else SigningKey.status_of(row.key_retired_at, row.key_revoked_at),
        signature=row.signature,
        guideline=row.guideline,
        revision=row.revision,
        revision_digest=row.revision_digest,
        target=row.target,
        product_version_id=row.product_version_id,
        cpid=row.cpid,
        foreign_cpid=row.foreign_cpid,
        challenged=row.challenge_id is not None,
        public=row.public,
        started_at=row.started_at,
        finished_at=row.finished_at,
        passed_count=row.passed_count,
        failed_count=row.failed_count,
        skipped_count=row.skipped_count,
        evidence_digest=row.evidence_digest,
        verdicts=verdicts,
    )


def _verdicts(session: Session, ids: Sequence[str], *, report: bool) -> dict[str, list[VerdictView]]:
    """Each submission's verdicts, in the order of ``Submission.verdicts``: their summaries, or
    with ``report`` their whole reports (8 to 13 KB of JSON each, a summary a tenth of that)."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            SubmissionVerdict.submission_id,
            Guideline.name,
            GuidelineRevision.number,
            GuidelineRevision.digest,
            GuidelineRevision.is_current,
            SubmissionVerdict.target,
            SubmissionVerdict.eligible,
            SubmissionVerdict.reason,
            SubmissionVerdict.report if report else SubmissionVerdict.summary,
        )
        .join(GuidelineRevision, GuidelineRevision.id == SubmissionVerdict.guideline_revision_id)
        .join(Guideline, Guideline.id == GuidelineRevision.guideline_id)
        .where(SubmissionVerdict.submission_id.in_(ids))
        .order_by(SubmissionVerdict.submission_id, SubmissionVerdict.guideline_revision_id, SubmissionVerdict.target)
    )
    found: dict[str, list[VerdictView]] = {}
    for submission_id, name, number, digest, current, target, eligible, reason, shown in rows:
        found.setdefault(submission_id, []).append(
            VerdictView(name, number, digest, current, target, eligible, reason, shown)
        )
    return found


def _visible_to(actor: Actor, mine: Collection[str]) -> ColumnElement[bool]:
    """Submissions ``actor`` may see, given the vendors it belongs to (``vendor_roles``)."""
    if actor.is_foundation:
        return true()
    return or_(Submission.public, Submission.vendor_id.in_(list(mine))) if mine else Submission.public.is_(True)


def _mine(session: Session, actor: Actor) -> dict[str, str]:
    """The vendors whose submissions ``actor`` sees as a member (none needed for the foundation)."""
    return {} if actor.is_foundation else vendor_roles(session, actor)


def _sees_internals(actor: Actor, vendor_id: str | None, mine: Collection[str]) -> bool:
    return actor.is_foundation or (vendor_id is not None and vendor_id in mine)


def get(session: Session, actor: Actor, submission_id: str, *, with_verdicts: bool = True) -> Submission:
    """The submission if the actor may see it; raises ``NotFound`` otherwise."""
    query = select(Submission).where(Submission.id == submission_id, _visible_to(actor, _mine(session, actor)))
    if with_verdicts:
        query = query.options(
            selectinload(Submission.verdicts)
            .joinedload(SubmissionVerdict.guideline_revision)
            .joinedload(GuidelineRevision.guideline)
        )
    submission = session.scalar(query)
    if submission is None:
        raise NotFound(f"no submission {submission_id!r}")
    return submission


@dataclass(frozen=True)
class Detail:
    """One submission as its reader may see it: every verdict's full report, and its tests."""

    view: SubmissionView
    internals: bool  # the reader sees cpid, signature and evidence
    tests: dict[str, list[str]]


def detail(session: Session, actor: Actor, submission_id: str) -> Detail:
    """The submission in full if the actor may see it; raises ``NotFound`` otherwise."""
    mine = _mine(session, actor)
    row = session.execute(
        _summaries(Submission.passed, Submission.failed, Submission.skipped).where(
            Submission.id == submission_id, _visible_to(actor, mine)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no submission {submission_id!r}")
    (view,) = views(session, [row], report=True)
    tests = names_by_outcome(session, (row.passed, row.failed, row.skipped))
    return Detail(view, _sees_internals(actor, view.vendor_id, mine), tests)


def visible(session: Session, actor: Actor, submission_id: str) -> bool:
    """Whether the actor may see this submission (as ``get`` would show it)."""
    query = select(Submission.id).where(Submission.id == submission_id, _visible_to(actor, _mine(session, actor)))
    return session.scalar(query) is not None


def can_see_internals(session: Session, actor: Actor, submission: Submission) -> bool:
    """The vendor's members and the foundation see cpids, signatures and evidence."""
    return _sees_internals(actor, submission.vendor_id, _mine(session, actor))


@dataclass(frozen=True)
class Listing:
    """The rows of a list (``views`` makes them views) and the vendors the reader belongs to."""

    query: Select[*tuple[Any, ...]]
    mine: dict[str, str]

    def internals(self, actor: Actor, vendor_id: str | None) -> bool:
        """Whether the reader sees a listed submission's internals."""
        return _sees_internals(actor, vendor_id, self.mine)


def listing(session: Session, actor: Actor, filters: Filters) -> Listing:
    """Submissions the actor may see (signed in: its vendors'; the foundation: all), filtered."""
    actor.require_user()
    mine = _mine(session, actor)
    query = _summaries(_listed_verdicts(session.get_bind().dialect.name))
    if not actor.is_foundation:
        query = query.where(Submission.vendor_id.in_(list(mine)) if mine else false())
    if filters.vendor_id is not None:
        query = query.where(Submission.vendor_id == filters.vendor_id)
    if filters.product_version_id is not None:
        query = query.where(Submission.product_version_id == filters.product_version_id)
    if filters.source is not None:
        query = query.where(Submission.source == filters.source)
    if filters.received_after is not None:
        query = query.where(Submission.received_at >= filters.received_after)
    if filters.received_before is not None:
        query = query.where(Submission.received_at < filters.received_before)
    if filters.guideline is not None or filters.target is not None or filters.verdict is not None:
        # Only each guideline's latest verdicts count: a re-evaluated submission keeps the
        # verdicts of earlier revisions as history, and they no longer describe it.
        verdict_revision = aliased(GuidelineRevision)
        later = aliased(SubmissionVerdict)
        later_revision = aliased(GuidelineRevision)
        superseded = exists().where(
            later.submission_id == Submission.id,
            later.guideline_revision_id == later_revision.id,
            later_revision.guideline_id == verdict_revision.guideline_id,
            later_revision.number > verdict_revision.number,
        )
        verdict = (
            select(SubmissionVerdict.submission_id)
            .join(verdict_revision, verdict_revision.id == SubmissionVerdict.guideline_revision_id)
            .where(SubmissionVerdict.submission_id == Submission.id, ~superseded)
        )
        if filters.guideline is not None:
            verdict_guideline = aliased(Guideline)
            verdict = verdict.join(verdict_guideline, verdict_guideline.id == verdict_revision.guideline_id).where(
                verdict_guideline.name == filters.guideline
            )
        if filters.target is not None:
            verdict = verdict.where(SubmissionVerdict.target == filters.target)
        if filters.verdict is not None:
            verdict = verdict.where(SubmissionVerdict.eligible.is_(filters.verdict == "eligible"))
        query = query.where(exists(verdict))
    return Listing(query, mine)


def tests(session: Session, submission: Submission) -> dict[str, list[str]]:
    """The submission's test names by outcome, each list sorted."""
    packed = session.execute(
        select(Submission.passed, Submission.failed, Submission.skipped).where(Submission.id == submission.id)
    ).one()
    return names_by_outcome(session, (packed[0], packed[1], packed[2]))


def names_by_outcome(session: Session, packed: tuple[bytes, bytes, bytes]) -> dict[str, list[str]]:
    """The test names of packed outcome lists (passed, failed, skipped), each list sorted."""
    lists = {
        outcome: outcomes.unpack(data) for outcome, data in zip(("passed", "failed", "skipped"), packed, strict=True)
    }
    names = _names_of(session, {i for ids in lists.values() for i in ids})
    return {outcome: sorted(names[i] for i in ids) for outcome, ids in lists.items()}


# id → name of the test names read so far, per engine: a committed name never changes, and a
# committed submission names only committed ones. Reading 1,500 names by id costs milliseconds
# (the statement with its 1,500 parameters most of all); a dictionary lookup, microseconds.
_names: weakref.WeakKeyDictionary[Engine, dict[int, str]] = weakref.WeakKeyDictionary()
_names_lock = threading.Lock()


def _names_of(session: Session, ids: set[int]) -> dict[int, str]:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _names_lock:
        known = _names.setdefault(engine, {})
        found = {i: known[i] for i in ids if i in known}
    missing = ids - found.keys()
    if missing:
        read = test_names.names_of(session, sorted(missing))
        found.update(read)
        with _names_lock:
            if len(known) > test_names.CACHE_LIMIT:
                known.clear()
            known.update(read)
    return found


def envelope(session: Session, submission: Submission) -> bytes:
    data = session.scalar(select(Submission.envelope).where(Submission.id == submission.id))
    assert data is not None
    return data


def evidence_of(session: Session, submission: Submission, *, with_content: bool = False) -> SubmissionEvidence | None:
    query = select(SubmissionEvidence).where(SubmissionEvidence.submission_id == submission.id)
    if with_content:
        query = query.options(undefer(SubmissionEvidence.content))
    return session.scalar(query)


def attach_evidence(
    session: Session, actor: Actor, submission: Submission, data: bytes, now: datetime
) -> tuple[SubmissionEvidence, bool]:
    """Store the subunit stream the statement names by digest; True when newly stored.

    Sending the same stream again changes nothing (a retried upload), another stream is refused.
    """
    if submission.vendor is None:
        raise Conflict("this submission names no evidence", slug="no-evidence-expected")
    require_vendor_member(session, actor, submission.vendor, admin_too=False)
    if submission.evidence_digest is None:
        raise Conflict(
            "the signed results name no evidence digest, so no evidence belongs to them", slug="no-evidence-expected"
        )
    # Two uploads at once: the second waits here and then finds the first one's evidence.
    session.execute(select(Submission.id).where(Submission.id == submission.id).with_for_update())
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if digest != submission.evidence_digest:
        raise InvalidInput(
            f"the evidence has digest {digest}, but the signed results name {submission.evidence_digest}",
            slug="evidence-mismatch",
        )
    existing = evidence_of(session, submission)
    if existing is not None:
        return existing, False
    evidence = SubmissionEvidence(
        submission_id=submission.id,
        digest=digest,
        size=len(data),
        content=data,
        uploaded_at=now,
        uploaded_by=None if actor.user is None else actor.user.id,
    )
    session.add(evidence)
    session.flush()
    audit.record(
        session,
        actor,
        "submission.evidence",
        "submission",
        submission.id,
        at=now,
        vendor_id=submission.vendor_id,
        after={"digest": digest, "size": len(data)},
    )
    return evidence, True
