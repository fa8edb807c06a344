"""Certification requests: asked by a vendor's member, checked at once, decided by a reviewer.

A request that fails any automatic check is refused with every failed check and nothing is
stored. A stored request waits (``pending``) until a foundation reviewer outside the vendor
approves or denies it, or the vendor withdraws it. Deciding is one conditional UPDATE on
``state = 'pending'``: when two reviewers decide at once, one changes the row and the other
gets a 409, whatever the database's isolation level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, joinedload

from refstack_lite import guideline_registry as registry
from refstack_lite.certification import certificates, checks, records, states
from refstack_lite.certification.programs import Program
from refstack_lite.errors import Conflict, Forbidden, InvalidInput, NotFound, RequestRefused
from refstack_lite.models import (
    CertificationRecord,
    CertificationRequest,
    GuidelineRevision,
    ProductVersion,
    Submission,
    SubmissionVerdict,
)
from refstack_lite.models import Guideline as GuidelineRow
from refstack_lite.services import audit, products, submissions
from refstack_lite.services.actors import Actor, require_vendor_member, vendor_role, vendor_roles


@dataclass(frozen=True)
class Ask:
    product_version_id: str
    program: str
    submission_id: str
    guideline: str | None = None


def _verdict(session: Session, submission: Submission, guideline: str, target: str) -> SubmissionVerdict | None:
    """The newest stored verdict of the submission for ``guideline`` and ``target``."""
    return session.scalar(
        select(SubmissionVerdict)
        .join(GuidelineRevision)
        .join(GuidelineRow)
        .where(
            SubmissionVerdict.submission_id == submission.id,
            GuidelineRow.name == guideline,
            SubmissionVerdict.target == target,
        )
        .order_by(SubmissionVerdict.guideline_revision_id.desc())
        .limit(1)
    )


def _certified_components(session: Session, version_id: str, programs: dict[str, Program]) -> frozenset[str]:
    """Platform components the product version holds an active certification for."""
    held: set[str] = set()
    for record in records.of_version(session, version_id):
        program = programs.get(record.program)
        if program is None or program.add_on or records.status(record, programs).status != "active":
            continue
        revision = session.get(GuidelineRevision, record.guideline_revision_id)
        assert revision is not None
        held.update(registry.parsed(session, revision).components_for(program.target))
    return frozenset(held)


def _guideline_of(submission: Submission, named: str | None) -> str:
    if submission.guideline_revision is not None:
        own = submission.guideline_revision.guideline.name
        if named is not None and named != own:
            raise InvalidInput(
                f"the submission was run against guideline {own}, not {named}", slug="guideline-mismatch"
            )
        return own
    if named is None:
        raise InvalidInput(
            "a RefStack (v1) upload names no guideline: name the guideline whose stored verdict to use",
            slug="guideline-required",
        )
    return named


def create(
    session: Session, actor: Actor, ask: Ask, programs: dict[str, Program], now: datetime
) -> CertificationRequest:
    """Check and store a request; raises ``RequestRefused`` (``checks-failed`` lists every
    failed check) and stores nothing when a check fails."""
    user = actor.require_user()
    program = programs.get(ask.program)
    if program is None:
        names = ", ".join(sorted(programs)) or "none: no guideline is imported"
        raise NotFound(f"no program {ask.program!r}; the programs are {names}", slug="unknown-program")
    version = session.get(ProductVersion, ask.product_version_id)
    if version is None or not products.is_visible(session, actor, version.product):
        raise NotFound(f"no product version {ask.product_version_id!r}")
    vendor = version.product.vendor
    require_vendor_member(session, actor, vendor, admin_too=False)
    submission = submissions.get(session, actor, ask.submission_id)
    if submission.vendor_id != vendor.id:
        raise Forbidden(
            f"submission {submission.id} is not one of vendor {vendor.name!r}'s", slug="submission-of-another-vendor"
        )
    guideline = _guideline_of(submission, ask.guideline)
    revision = registry.current_revision(session, guideline)
    verdict = _verdict(session, submission, guideline, program.target)
    key = submission.signing_key
    facts = checks.Facts(
        vendor_id=vendor.id,
        vendor_name=vendor.name,
        vendor_status=vendor.status,
        guideline=guideline,
        target=program.target,
        verdict=None if verdict is None else (verdict.eligible, verdict.reason),
        guideline_accepted=program.accepts(guideline),
        signed_at=submission.received_at,
        key=None
        if key is None
        else checks.Key(key.vendor_id, key.fingerprint, key.retired_at, key.revoked_at, key.compromised_since),
        version_id=version.id,
        version_cpid=version.cpid,
        submission_version_id=submission.product_version_id,
        submission_cpid=submission.cpid,
        required_components=program.required_platform_components if program.add_on else (),
        certified_components=_certified_components(session, version.id, programs) if program.add_on else frozenset(),
    )
    results = checks.run(facts)
    failed = checks.failed(results)
    if failed:
        raise RequestRefused(
            f"the request fails {len(failed)} check(s): {', '.join(c.name for c in failed)}; nothing was stored",
            slug="checks-failed",
            checks=[c.json() for c in failed],
        )
    request = CertificationRequest(
        vendor_id=vendor.id,
        product_version_id=version.id,
        program=program.id,
        target=program.target,
        guideline_revision_id=verdict.guideline_revision_id if verdict is not None else revision.id,
        submission_id=submission.id,
        requested_by=user.id,
        requested_at=now,
        checks=[c.json() for c in results],
        state=states.RequestState.PENDING,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor,
        "certification-request.create",
        "certification-request",
        request.id,
        at=now,
        vendor_id=vendor.id,
        after={
            "program": program.id,
            "guideline": guideline,
            "product_version_id": version.id,
            "submission_id": submission.id,
            "state": request.state,
            "checks": request.checks,
        },
    )
    return request


def _loaded(query: Select[CertificationRequest]) -> Select[CertificationRequest]:
    return query.options(
        joinedload(CertificationRequest.vendor),
        joinedload(CertificationRequest.product_version).joinedload(ProductVersion.product),
        joinedload(CertificationRequest.guideline_revision).joinedload(GuidelineRevision.guideline),
        joinedload(CertificationRequest.requester),
        joinedload(CertificationRequest.reviewer),
    )


@dataclass(frozen=True)
class Filters:
    vendor_id: str | None = None
    product_version_id: str | None = None
    program: str | None = None
    state: str | None = None
    submission_id: str | None = None


def listing(session: Session, actor: Actor, filters: Filters) -> list[CertificationRequest]:
    """Requests the actor may see (members: their vendors'; the foundation: all), oldest first."""
    actor.require_user()
    query = _loaded(select(CertificationRequest))
    if not actor.is_foundation:
        query = query.where(CertificationRequest.vendor_id.in_(list(vendor_roles(session, actor))))
    if filters.vendor_id is not None:
        query = query.where(CertificationRequest.vendor_id == filters.vendor_id)
    if filters.product_version_id is not None:
        query = query.where(CertificationRequest.product_version_id == filters.product_version_id)
    if filters.program is not None:
        query = query.where(CertificationRequest.program == filters.program)
    if filters.state is not None:
        query = query.where(CertificationRequest.state == filters.state)
    if filters.submission_id is not None:
        query = query.where(CertificationRequest.submission_id == filters.submission_id)
    return list(session.scalars(query.order_by(CertificationRequest.requested_at, CertificationRequest.id)).unique())


def waiting(session: Session, actor: Actor) -> list[CertificationRequest]:
    """The pending requests the actor may see (the foundation's review queue), oldest first."""
    return listing(session, actor, Filters(state=states.RequestState.PENDING))


def count_waiting(session: Session) -> int:
    """How many requests wait for a decision (what ``waiting`` lists for the foundation)."""
    query = select(func.count()).select_from(CertificationRequest)
    return session.scalar(query.where(CertificationRequest.state == states.RequestState.PENDING)) or 0


def get(session: Session, actor: Actor, request_id: str) -> CertificationRequest:
    actor.require_user()
    request = session.scalar(_loaded(select(CertificationRequest).where(CertificationRequest.id == request_id)))
    if request is None or not (actor.is_foundation or vendor_role(session, actor, request.vendor_id) is not None):
        raise NotFound(f"no certification request {request_id!r}")
    return request


def _move(
    session: Session, request: CertificationRequest, event: states.RequestEvent, values: dict[str, object]
) -> str:
    """Apply ``event`` if the request is still pending; raises ``Conflict`` naming the rule."""
    try:
        after = states.request_transition(states.RequestState(request.state), event)
    except states.TransitionRefused as err:
        raise Conflict(f"certification request {request.id} is {request.state}: {err}", slug=err.rule) from err
    result = session.execute(
        update(CertificationRequest)
        .where(CertificationRequest.id == request.id, CertificationRequest.state == states.RequestState.PENDING)
        .values(state=after, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(request)
        raise Conflict(
            f"certification request {request.id} was {request.state} meanwhile: it cannot be {after} too",
            slug="request-withdrawn" if request.state == "withdrawn" else "request-already-decided",
        )
    session.expire(request)
    return after


def withdraw(session: Session, actor: Actor, request: CertificationRequest, now: datetime) -> None:
    user = actor.require_user()
    require_vendor_member(session, actor, request.vendor, admin_too=False)
    _move(session, request, states.RequestEvent.WITHDRAW, {"withdrawn_by": user.id, "withdrawn_at": now})
    audit.record(
        session,
        actor,
        "certification-request.withdraw",
        "certification-request",
        request.id,
        at=now,
        vendor_id=request.vendor_id,
        before={"state": "pending"},
        after={"state": "withdrawn"},
    )


def require_reviewer(session: Session, actor: Actor, request: CertificationRequest) -> None:
    """Foundation reviewers and admins, never a member of the request's vendor."""
    actor.require_user()
    if not actor.is_foundation:
        raise Forbidden("only foundation reviewers and admins review certification requests")
    if vendor_role(session, actor, request.vendor_id) is not None:
        raise Forbidden(
            f"a member of vendor {request.vendor.name!r} may not review its requests", slug="reviewer-is-vendor-member"
        )


def deny(session: Session, actor: Actor, request: CertificationRequest, reason: str, now: datetime) -> None:
    require_reviewer(session, actor, request)
    user = actor.require_user()
    _move(session, request, states.RequestEvent.DENY, {"reviewer_id": user.id, "decided_at": now, "reason": reason})
    audit.record(
        session,
        actor,
        "certification-request.deny",
        "certification-request",
        request.id,
        at=now,
        vendor_id=request.vendor_id,
        before={"state": "pending"},
        after={"state": "denied", "reason": reason},
    )


def approve(
    session: Session,
    actor: Actor,
    request: CertificationRequest,
    reason: str | None,
    now: datetime,
    issuer: certificates.Issuer,
) -> CertificationRecord:
    """Approve and make the record, frozen with what it rests on, and its certificate."""
    require_reviewer(session, actor, request)
    user = actor.require_user()
    _move(session, request, states.RequestEvent.APPROVE, {"reviewer_id": user.id, "decided_at": now, "reason": reason})
    submission = session.get(Submission, request.submission_id)
    revision = session.get(GuidelineRevision, request.guideline_revision_id)
    assert submission is not None
    assert revision is not None
    key = submission.signing_key
    record = CertificationRecord(
        request_id=request.id,
        vendor_id=request.vendor_id,
        product_version_id=request.product_version_id,
        program=request.program,
        guideline_name=revision.guideline.name,
        guideline_revision_id=revision.id,
        guideline_digest=revision.digest,
        submission_id=submission.id,
        submission_digest=submission.envelope_digest,
        signing_key_id=None if key is None else key.id,
        signer_fingerprint="" if key is None else key.fingerprint,
        reviewer_id=user.id,
        decided_at=now,
    )
    session.add(record)
    session.flush()
    assert user.role is not None  # require_reviewer: a foundation role
    certificates.issue(session, record, request.target, user.role, issuer, now)
    audit.record(
        session,
        actor,
        "certification-request.approve",
        "certification-request",
        request.id,
        at=now,
        vendor_id=request.vendor_id,
        before={"state": "pending"},
        after={"state": "approved", "certification_id": record.id},
    )
    audit.record(
        session,
        actor,
        "certification.create",
        "certification",
        record.id,
        at=now,
        vendor_id=request.vendor_id,
        after={
            "program": record.program,
            "guideline": record.guideline_name,
            "guideline_digest": record.guideline_digest,
            "submission_id": record.submission_id,
            "signer": record.signer_fingerprint,
            "status": "active",
        },
    )
    return record
