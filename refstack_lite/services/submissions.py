"""Reading submissions, and attaching their raw evidence: who may see what.

A vendor's submission is seen by its members and the foundation; anyone else gets a 404, so a
private submission's existence is not revealed. Public submissions (anonymous RefStack uploads)
are seen by everyone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, false, or_, select, true
from sqlalchemy.orm import Session, aliased, selectinload, undefer

from refstack_lite import outcomes
from refstack_lite.errors import Conflict, InvalidInput, NotFound
from refstack_lite.models import (
    Guideline,
    GuidelineRevision,
    Submission,
    SubmissionEvidence,
    SubmissionVerdict,
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


def _visible_to(session: Session, actor: Actor) -> ColumnElement[bool]:
    if actor.is_foundation:
        return true()
    mine = list(vendor_roles(session, actor))
    return or_(Submission.public, Submission.vendor_id.in_(mine)) if mine else Submission.public.is_(True)


def get(session: Session, actor: Actor, submission_id: str, *, with_verdicts: bool = True) -> Submission:
    """The submission if the actor may see it; raises ``NotFound`` otherwise."""
    query = select(Submission).where(Submission.id == submission_id, _visible_to(session, actor))
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


def visible(session: Session, actor: Actor, submission_id: str) -> bool:
    """Whether the actor may see this submission (as ``get`` would show it)."""
    query = select(Submission.id).where(Submission.id == submission_id, _visible_to(session, actor))
    return session.scalar(query) is not None


def can_see_internals(session: Session, actor: Actor, submission: Submission) -> bool:
    """The vendor's members and the foundation see cpids, signatures and evidence."""
    if actor.is_foundation:
        return True
    return submission.vendor_id is not None and submission.vendor_id in vendor_roles(session, actor)


def listing(session: Session, actor: Actor, filters: Filters) -> Select[Submission]:
    """Submissions the actor may see (signed in: its vendors'; the foundation: all), filtered."""
    actor.require_user()
    if actor.is_foundation:
        query = select(Submission)
    else:
        mine = list(vendor_roles(session, actor))
        query = select(Submission).where(Submission.vendor_id.in_(mine) if mine else false())
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
        later = aliased(SubmissionVerdict)
        later_revision = aliased(GuidelineRevision)
        superseded = exists().where(
            later.submission_id == Submission.id,
            later.guideline_revision_id == later_revision.id,
            later_revision.guideline_id == GuidelineRevision.guideline_id,
            later_revision.number > GuidelineRevision.number,
        )
        verdict = (
            select(SubmissionVerdict)
            .join(GuidelineRevision)
            .where(SubmissionVerdict.submission_id == Submission.id, ~superseded)
        )
        if filters.guideline is not None:
            verdict = verdict.join(Guideline).where(Guideline.name == filters.guideline)
        if filters.target is not None:
            verdict = verdict.where(SubmissionVerdict.target == filters.target)
        if filters.verdict is not None:
            verdict = verdict.where(SubmissionVerdict.eligible.is_(filters.verdict == "eligible"))
        query = query.where(exists(verdict))
    return query.options(
        selectinload(Submission.verdicts)
        .joinedload(SubmissionVerdict.guideline_revision)
        .joinedload(GuidelineRevision.guideline)
    )


def tests(session: Session, submission: Submission) -> dict[str, list[str]]:
    """The submission's test names by outcome, each list sorted."""
    packed = session.execute(
        select(Submission.passed, Submission.failed, Submission.skipped).where(Submission.id == submission.id)
    ).one()
    lists = {
        outcome: outcomes.unpack(data) for outcome, data in zip(("passed", "failed", "skipped"), packed, strict=True)
    }
    names = test_names.names_of(session, [i for ids in lists.values() for i in ids])
    return {outcome: sorted(names[i] for i in ids) for outcome, ids in lists.items()}


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
