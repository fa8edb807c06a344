"""Storing a verified set of test results, whichever API it came through (DESIGN.md §2.5).

``receive`` is the common tail of the native (v2, ``v2_bundle``) and the RefStack
(v1, ``v1_upload``) uploads: duplicate check, claiming the challenge, interning
the test names, storing the exact bytes and the packed outcomes, evaluating and recording the
verdicts, and the audit event. Nothing is committed here: the view commits once, so any failure
stores nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from refstack_lite import eligibility, guideline_registry, outcomes
from refstack_lite.errors import Conflict
from refstack_lite.models import (
    GuidelineRevision,
    Product,
    ProductVersion,
    SigningKey,
    Submission,
    SubmissionChallenge,
    SubmissionVerdict,
    Vendor,
)
from refstack_lite.services import audit, submissions, test_names
from refstack_lite.services.actors import Actor

# How far a client's clock may run ahead of the server's before its times are called future.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Incoming:
    """A verified upload, ready to store. ``raw`` is exactly what was received."""

    source: str  # "v2" or "v1"
    raw: bytes
    envelope_digest: str  # "sha256:<hex>" of ``raw``
    payload_digest: str  # "sha256:<hex>" of the signed results (the payload; the body for v1)
    vendor: Vendor | None
    key: SigningKey | None
    signature: str | None  # v1: the X-Signature header; v2 signatures live in ``raw``
    passed: Sequence[str]
    failed: Sequence[str]
    skipped: Sequence[str]
    started_at: datetime
    finished_at: datetime
    public: bool
    cpid: str | None = None
    product_version: ProductVersion | None = None
    revision: GuidelineRevision | None = None  # the guideline the results name (v2)
    target: str | None = None
    challenge: SubmissionChallenge | None = None
    evidence_digest: str | None = None

    @property
    def owner(self) -> str | None:
        """The vendor the results belong to, or None for the anonymous pool."""
        return None if self.vendor is None else self.vendor.id


def duplicate_of(session: Session, vendor_id: str | None, envelope_digest: str, payload_digest: str) -> str | None:
    """The id of the owner's stored submission with the same bytes or the same signed results. The
    owner is a vendor, or the anonymous pool when ``vendor_id`` is None: a duplicate is one only
    for the same owner, so another owner's copy neither refuses these results nor is revealed."""
    owner = Submission.vendor_id.is_(None) if vendor_id is None else Submission.vendor_id == vendor_id
    return session.scalar(
        select(Submission.id).where(
            owner,
            or_(Submission.envelope_digest == envelope_digest, Submission.payload_digest == payload_digest),
        )
    )


def refuse_duplicate(
    session: Session, caller: Actor, vendor_id: str | None, envelope_digest: str, payload_digest: str
) -> None:
    existing = duplicate_of(session, vendor_id, envelope_digest, payload_digest)
    if existing is not None:
        raise Duplicate(existing if submissions.visible(session, caller, existing) else None)


class Duplicate(Conflict):
    """These results are stored already for the same owner; ``existing`` is the submission that
    holds them, or None when the caller may not see it (a signed v1 upload sent without a token
    of the vendor's): a refusal never names a submission its reader may not see."""

    def __init__(self, existing: str | None) -> None:
        if existing is None:
            super().__init__(
                "these results were submitted already by the vendor whose key signed them; only its members "
                "and the foundation see that submission, with their token (GET /v1/results?signed)",
                slug="duplicate",
            )
        else:
            super().__init__(
                f"these results were submitted already, as submission {existing}", slug="duplicate", existing=existing
            )
        self.existing = existing


def receive(
    session: Session,
    actor: Actor,
    incoming: Incoming,
    revisions: Sequence[GuidelineRevision],
    now: datetime,
) -> Submission:
    """Evaluate ``incoming`` against every valid target of each of ``revisions``, then ``store`` it."""
    return store(session, actor, incoming, evaluate(session, incoming, revisions), now)


def store(
    session: Session,
    actor: Actor,
    incoming: Incoming,
    verdicts: Sequence[tuple[GuidelineRevision, eligibility.Verdict]],
    now: datetime,
    caller: Actor | None = None,
) -> Submission:
    """Store ``incoming`` with its ``verdicts`` (from ``evaluate``).

    The returned submission has its vendor, key, revision and verdicts loaded, so a receipt
    needs no further query. Raises ``Duplicate`` when the same owner stored the same results
    already (its unique digests find them, also when a concurrent request stored them first) and
    ``Conflict`` when the challenge was used meanwhile. ``caller`` reads the answer (``actor``
    when None): a duplicate is named only if the caller may see it.
    """
    caller = caller or actor
    owner = incoming.owner  # read now: a rollback below expires the vendor
    if incoming.challenge is not None:
        _claim(session, caller, owner, incoming, now)
    ids = test_names.intern(session, [*incoming.passed, *incoming.failed, *incoming.skipped])
    submission = Submission(
        source=incoming.source,
        vendor=incoming.vendor,
        signing_key=incoming.key,
        keyid=None if incoming.key is None else incoming.key.fingerprint,
        signature=incoming.signature,
        envelope_digest=incoming.envelope_digest,
        payload_digest=incoming.payload_digest,
        envelope=incoming.raw,
        envelope_size=len(incoming.raw),
        guideline_revision=incoming.revision,
        target=incoming.target,
        product_version=incoming.product_version,
        cpid=incoming.cpid,
        foreign_cpid=_foreign_cpid(session, incoming),
        challenge_id=None if incoming.challenge is None else incoming.challenge.id,
        submitted_by=None if actor.user is None else actor.user.id,
        started_at=incoming.started_at,
        finished_at=incoming.finished_at,
        received_at=now,
        public=incoming.public,
        passed_count=len(incoming.passed),
        failed_count=len(incoming.failed),
        skipped_count=len(incoming.skipped),
        passed=outcomes.pack(ids[name] for name in incoming.passed),
        failed=outcomes.pack(ids[name] for name in incoming.failed),
        skipped=outcomes.pack(ids[name] for name in incoming.skipped),
        evidence_digest=incoming.evidence_digest,
    )
    session.add(submission)
    try:
        session.flush()
    except IntegrityError:
        # The owner holds these results already (stored before, or by a concurrent request).
        session.rollback()
        refuse_duplicate(session, caller, owner, incoming.envelope_digest, incoming.payload_digest)
        raise
    rows = [
        SubmissionVerdict(
            submission_id=submission.id,
            guideline_revision_id=revision.id,
            guideline_revision=revision,
            target=verdict.target,
            eligible=verdict.eligible,
            reason=verdict.reason,
            report=verdict.summary_json(),
        )
        for revision, verdict in verdicts
    ]
    if rows:
        # One statement for all of them; the unit of work would cost far more per row.
        columns = ("submission_id", "guideline_revision_id", "target", "eligible", "reason", "report")
        session.execute(insert(SubmissionVerdict), [{c: getattr(row, c) for c in columns} for row in rows])
    # In the order the relationship loads them, so a receipt reads the same now and later.
    set_committed_value(submission, "verdicts", sorted(rows, key=lambda r: (r.guideline_revision_id, r.target)))
    audit.record(
        session,
        actor,
        "submission.receive",
        "submission",
        submission.id,
        at=now,
        vendor_id=submission.vendor_id,
        after={
            "source": submission.source,
            "digest": submission.envelope_digest,
            "keyid": submission.keyid,
            "foreign_cpid": submission.foreign_cpid,
            "eligible": sorted({f"{r.guideline.name}/{v.target}" for r, v in verdicts if v.eligible}),
        },
    )
    return submission


def evaluate(
    session: Session, incoming: Incoming, revisions: Sequence[GuidelineRevision]
) -> list[tuple[GuidelineRevision, eligibility.Verdict]]:
    """A verdict for every valid target of each guideline snapshot."""
    run = eligibility.Run.of(incoming.passed, incoming.failed, incoming.skipped)
    return [
        (revision, eligibility.evaluate_plan(plan, "sha256:" + revision.digest, run))
        for revision in revisions
        for plan in guideline_registry.evaluation_plans(session, (revision.id, revision.digest))
    ]


def _claim(session: Session, caller: Actor, owner: str | None, incoming: Incoming, now: datetime) -> None:
    """Mark the challenge used; only one transaction can, whatever the timing."""
    assert incoming.challenge is not None
    claimed = session.execute(
        update(SubmissionChallenge)
        .where(SubmissionChallenge.id == incoming.challenge.id, SubmissionChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        refuse_duplicate(session, caller, owner, incoming.envelope_digest, incoming.payload_digest)
        raise Conflict("the challenge these results carry was used by another submission", slug="challenge-used")


def _foreign_cpid(session: Session, incoming: Incoming) -> bool:
    """Whether a product version of a vendor other than the results' owner (of any vendor, for
    an anonymous upload) has the cpid the results name."""
    if not incoming.cpid:
        return False
    query = select(ProductVersion.id).join(Product).where(ProductVersion.cpid == incoming.cpid)
    if incoming.owner is not None:
        query = query.where(Product.vendor_id != incoming.owner)
    return session.scalar(query.limit(1)) is not None
