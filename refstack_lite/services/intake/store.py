"""Storing a verified set of test results, whichever API it came through (DESIGN.md §2.5).

``receive`` is the common tail of the native (v2, ``v2_bundle``) and the RefStack
(v1, ``v1_upload``) uploads: duplicate check, claiming the challenge, interning
the test names, storing the exact bytes and the packed outcomes, evaluating and recording the
verdicts, and the audit event. Nothing is committed here: the view commits once, so any failure
stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from refstack_lite_client import eligibility
from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from refstack_lite import guideline_registry, outcomes
from refstack_lite.errors import Conflict
from refstack_lite.models import (
    Base,
    GuidelineRevision,
    Product,
    ProductVersion,
    SigningKey,
    Submission,
    SubmissionVerdict,
    Vendor,
    new_id,
)
from refstack_lite.services import audit, submissions, test_names
from refstack_lite.services.actors import Actor
from refstack_lite.transparency import log_events

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
    challenge_id: str | None = None  # the challenge the results carry (v2), claimed by ``store``
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
    """Store ``incoming`` with its ``verdicts`` (from ``evaluate``): one statement per table.

    The answer is built from what is in hand, not read back: a transient ``Submission`` with its
    vendor, key, revision and verdicts set, so a receipt needs no query. Raises ``Duplicate``
    when the same owner stored the same results already (its unique digests find them, also when
    a concurrent request stored them first) and ``Conflict`` when the challenge was used
    meanwhile. ``caller`` reads the answer (``actor`` when None): a duplicate is named only if
    the caller may see it.
    """
    caller = caller or actor
    owner = incoming.owner  # read now: a rollback below expires the vendor
    connection = session.connection()
    if incoming.challenge_id is not None:
        _claim(session, caller, owner, incoming, now)
    ids = test_names.intern(session, [*incoming.passed, *incoming.failed, *incoming.skipped])
    row = _submission_row(incoming, ids, _foreign_cpid(session, incoming), actor, now)
    try:
        connection.execute(_INSERT_SUBMISSION, row)
    except IntegrityError:
        # The owner holds these results already (stored before, or by a concurrent request).
        session.rollback()
        refuse_duplicate(session, caller, owner, incoming.envelope_digest, incoming.payload_digest)
        raise
    rows = [_verdict_row(row["id"], revision, verdict) for revision, verdict in verdicts]
    if rows:
        connection.execute(_INSERT_VERDICTS, rows)
    log_events.submission_accepted(
        session, row, incoming.revision, [(r, v.target, v.eligible) for r, v in verdicts], now
    )
    audit.record(
        session,
        actor,
        "submission.receive",
        "submission",
        row["id"],
        at=now,
        vendor_id=owner,
        after={
            "source": incoming.source,
            "digest": incoming.envelope_digest,
            "keyid": row["keyid"],
            "foreign_cpid": row["foreign_cpid"],
            "eligible": sorted({f"{r.guideline.name}/{v.target}" for r, v in verdicts if v.eligible}),
        },
    )
    return _answer(incoming, row, verdicts, rows)


_INSERT_SUBMISSION = insert(Base.metadata.tables["submissions"])
_INSERT_VERDICTS = insert(Base.metadata.tables["submission_verdicts"])


def _submission_row(
    incoming: Incoming, ids: Mapping[str, int], foreign_cpid: bool, actor: Actor, now: datetime
) -> dict[str, Any]:
    """The ``submissions`` row of ``incoming``; its outcomes packed as test-name ids."""
    key = incoming.key
    return {
        "id": new_id(),
        "source": incoming.source,
        "vendor_id": incoming.owner,
        "signing_key_id": None if key is None else key.id,
        "keyid": None if key is None else key.fingerprint,
        "signature": incoming.signature,
        "envelope_digest": incoming.envelope_digest,
        "payload_digest": incoming.payload_digest,
        "envelope": incoming.raw,
        "envelope_size": len(incoming.raw),
        "guideline_revision_id": None if incoming.revision is None else incoming.revision.id,
        "target": incoming.target,
        "product_version_id": None if incoming.product_version is None else incoming.product_version.id,
        "cpid": incoming.cpid,
        "foreign_cpid": foreign_cpid,
        "challenge_id": incoming.challenge_id,
        "submitted_by": None if actor.user is None else actor.user.id,
        "started_at": incoming.started_at,
        "finished_at": incoming.finished_at,
        "received_at": now,
        "public": incoming.public,
        "passed_count": len(incoming.passed),
        "failed_count": len(incoming.failed),
        "skipped_count": len(incoming.skipped),
        "passed": outcomes.pack(_ids_of(ids, incoming.passed)),
        "failed": outcomes.pack(_ids_of(ids, incoming.failed)),
        "skipped": outcomes.pack(_ids_of(ids, incoming.skipped)),
        "evidence_digest": incoming.evidence_digest,
    }


def _ids_of(ids: Mapping[str, int], names: Sequence[str]) -> list[int]:
    return list(map(ids.__getitem__, names))


def _verdict_row(submission_id: str, revision: GuidelineRevision, verdict: eligibility.Verdict) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "guideline_revision_id": revision.id,
        "target": verdict.target,
        "eligible": verdict.eligible,
        "reason": verdict.reason,
        "report": verdict.summary_json(),
    }


def _answer(
    incoming: Incoming,
    row: dict[str, Any],
    verdicts: Sequence[tuple[GuidelineRevision, eligibility.Verdict]],
    verdict_rows: Sequence[dict[str, Any]],
) -> Submission:
    """The stored submission as objects, for the receipt; never added to the session."""
    submission = Submission(**row)
    for name, value in (
        ("vendor", incoming.vendor),
        ("signing_key", incoming.key),
        ("guideline_revision", incoming.revision),
        ("product_version", incoming.product_version),
    ):
        set_committed_value(submission, name, value)
    stored = []
    for (revision, _), values in zip(verdicts, verdict_rows, strict=True):
        verdict = SubmissionVerdict(**values)
        set_committed_value(verdict, "guideline_revision", revision)
        stored.append(verdict)
    # In the order the relationship loads them, so a receipt reads the same now and later.
    set_committed_value(submission, "verdicts", sorted(stored, key=lambda v: (v.guideline_revision_id, v.target)))
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


_CHALLENGES = Base.metadata.tables["submission_challenges"]
_CLAIM = (
    update(_CHALLENGES)
    .where(_CHALLENGES.c.id == bindparam("challenge_id"), _CHALLENGES.c.used_at.is_(None))
    .values(used_at=bindparam("now"))
)


def version_by_cpid(session: Session, vendor_id: str, cpid: str) -> ProductVersion | None:
    """The vendor's one product version with this cpid (None when it has none, or several), as
    RefStack associated signed uploads."""
    if not cpid:
        return None
    matches = session.scalars(_VENDORS_CPID, {"vendor_id": vendor_id, "cpid": cpid}).all()
    return matches[0] if len(matches) == 1 else None


_VENDORS_CPID = (
    select(ProductVersion)
    .join(Product)
    .where(Product.vendor_id == bindparam("vendor_id"), ProductVersion.cpid == bindparam("cpid"))
    .limit(2)
)


def _claim(session: Session, caller: Actor, owner: str | None, incoming: Incoming, now: datetime) -> None:
    """Mark the challenge used; only one transaction can, whatever the timing."""
    claimed = session.connection().execute(_CLAIM, {"challenge_id": incoming.challenge_id, "now": now})
    if claimed.rowcount != 1:
        refuse_duplicate(session, caller, owner, incoming.envelope_digest, incoming.payload_digest)
        raise Conflict("the challenge these results carry was used by another submission", slug="challenge-used")


def _foreign_cpid(session: Session, incoming: Incoming) -> bool:
    """Whether a product version of a vendor other than the results' owner (of any vendor, for
    an anonymous upload) has the cpid the results name."""
    if not incoming.cpid:
        return False
    if incoming.owner is None:
        return session.connection().execute(_CPID_ANYWHERE, {"cpid": incoming.cpid}).first() is not None
    found = session.connection().execute(_CPID_ELSEWHERE, {"cpid": incoming.cpid, "owner": incoming.owner})
    return found.first() is not None


_VERSIONS, _PRODUCTS = Base.metadata.tables["product_versions"], Base.metadata.tables["products"]
_CPID_ANYWHERE = select(_VERSIONS.c.id).where(_VERSIONS.c.cpid == bindparam("cpid")).limit(1)
_CPID_ELSEWHERE = (
    select(_VERSIONS.c.id)
    .join(_PRODUCTS, _PRODUCTS.c.id == _VERSIONS.c.product_id)
    .where(_VERSIONS.c.cpid == bindparam("cpid"), _PRODUCTS.c.vendor_id != bindparam("owner"))
    .limit(1)
)
