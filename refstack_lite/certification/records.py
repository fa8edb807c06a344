"""Certification records: their status computed from facts at read time, listing and revocation.

Nothing here runs on a schedule: importing a guideline, revoking a key as compromised or a
vendor leaving ``official`` changes the next answer, because ``status`` reads those facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, joinedload

from refstack_lite.certification import states
from refstack_lite.certification.programs import Program
from refstack_lite.errors import Conflict, Forbidden, NotFound
from refstack_lite.models import CertificationRecord, ProductVersion, Submission, SubmissionVerdict
from refstack_lite.services import audit, products
from refstack_lite.services.actors import Actor
from refstack_lite.transparency import log_events


def suspensions(record: CertificationRecord, target: str | None) -> tuple[str, ...]:
    """Why the facts a record rests on no longer hold: a key compromised before the results
    came, a vendor no longer official, or its submission found not eligible for the program's
    target when evaluated again against a newer revision of its guideline."""
    return tuple(reason for reason, _ in _broken_facts(record, target))


def suspended_since(record: CertificationRecord, target: str | None) -> datetime | None:
    """When the latest of the facts ``suspensions`` names became known (None when none holds):
    the key's revocation, the vendor's last change, the import of the revision that re-evaluated it."""
    return max((known for _, known in _broken_facts(record, target)), default=None)


def _broken_facts(record: CertificationRecord, target: str | None) -> list[tuple[str, datetime]]:
    """Each fact the record rests on that no longer holds: why, and since when it is known."""
    broken = []
    key = record.signing_key
    received = record.submission.received_at
    if key is not None and key.compromised_since is not None and key.compromised_since <= received:
        broken.append(
            (
                f"signing key {key.fingerprint} is compromised since {key.compromised_since.isoformat()}, "
                "before the results it signed came",
                key.revoked_at or key.compromised_since,
            )
        )
    if record.vendor.status != "official":
        broken.append(
            (f"vendor {record.vendor.name!r} is {record.vendor.status}, no longer official", record.vendor.updated_at)
        )
    reevaluated = _current_verdict(record, target)
    if reevaluated is not None and not reevaluated.eligible:
        revision = reevaluated.guideline_revision
        broken.append(
            (
                f"evaluated again against {record.guideline_name} revision {revision.number}, the submission is not "
                f"eligible for {target}: {reevaluated.reason}",
                revision.imported_at,
            )
        )
    return broken


def _current_verdict(record: CertificationRecord, target: str | None) -> SubmissionVerdict | None:
    """The submission's verdict for ``target`` against the current revision of the record's
    guideline, when that revision is newer than the one the record was decided on."""
    if target is None:
        return None
    guideline_id = record.guideline_revision.guideline_id
    for verdict in record.submission.verdicts:
        revision = verdict.guideline_revision
        if (
            verdict.target == target
            and revision.guideline_id == guideline_id
            and revision.is_current
            and revision.id != record.guideline_revision_id
        ):
            return verdict
    return None


def status(record: CertificationRecord, programs: dict[str, Program]) -> states.Status:
    program = programs.get(record.program)
    in_window = program is not None and program.accepts(record.guideline_name)
    left = None if program is None else program.left_window_at(record.guideline_name)
    return states.record_status(
        states.RecordFacts(
            in_window=in_window,
            left_window_at=left,
            revoked_at=record.revoked_at,
            revocation_reason=record.revocation_reason,
            suspensions=suspensions(record, None if program is None else program.target),
        )
    )


def loaded(query: Select[CertificationRecord]) -> Select[CertificationRecord]:
    return query.options(
        joinedload(CertificationRecord.vendor),
        joinedload(CertificationRecord.signing_key),
        joinedload(CertificationRecord.submission)
        .selectinload(Submission.verdicts)
        .joinedload(SubmissionVerdict.guideline_revision),
        joinedload(CertificationRecord.guideline_revision),
        joinedload(CertificationRecord.product_version).joinedload(ProductVersion.product),
        joinedload(CertificationRecord.reviewer),
    )


@dataclass(frozen=True)
class Filters:
    vendor_id: str | None = None
    product_id: str | None = None
    product_version_id: str | None = None
    program: str | None = None
    guideline: str | None = None
    status: str | None = None
    submission_id: str | None = None


def listing(
    session: Session, actor: Actor, filters: Filters, programs: dict[str, Program]
) -> list[tuple[CertificationRecord, states.Status]]:
    """Records the actor may see (as their products: public ones of official vendors, members
    their vendors' too, the foundation all), oldest decision first, with their status now."""
    query = loaded(select(CertificationRecord)).join(ProductVersion)
    if filters.vendor_id is not None:
        query = query.where(CertificationRecord.vendor_id == filters.vendor_id)
    if filters.product_id is not None:
        query = query.where(ProductVersion.product_id == filters.product_id)
    if filters.product_version_id is not None:
        query = query.where(CertificationRecord.product_version_id == filters.product_version_id)
    if filters.program is not None:
        query = query.where(CertificationRecord.program == filters.program)
    if filters.guideline is not None:
        query = query.where(CertificationRecord.guideline_name == filters.guideline)
    if filters.submission_id is not None:
        query = query.where(CertificationRecord.submission_id == filters.submission_id)
    rows = session.scalars(query.order_by(CertificationRecord.decided_at, CertificationRecord.id)).unique()
    out = [(r, status(r, programs)) for r in rows if products.is_visible(session, actor, r.product_version.product)]
    return [(r, s) for r, s in out if filters.status is None or s.status == filters.status]


def get(session: Session, actor: Actor, record_id: str) -> CertificationRecord:
    record = session.scalar(loaded(select(CertificationRecord).where(CertificationRecord.id == record_id)))
    if record is None:
        raise NotFound(f"no certification {record_id!r}")
    if not products.is_visible(session, actor, record.product_version.product):
        raise NotFound(f"no certification {record_id!r}")
    return record


def of_version(session: Session, version_id: str) -> list[CertificationRecord]:
    return list(
        session.scalars(
            loaded(select(CertificationRecord)).where(CertificationRecord.product_version_id == version_id)
        ).unique()
    )


def revoke(
    session: Session,
    actor: Actor,
    record: CertificationRecord,
    reason: str,
    now: datetime,
    programs: dict[str, Program],
) -> states.Status:
    """The foundation revokes a certification with a reason; a revoked one accepts no action."""
    user = actor.require_user()
    if not actor.is_foundation:
        raise Forbidden("only foundation reviewers and admins may revoke a certification")
    before = status(record, programs)
    try:
        states.record_transition(before.status, states.RecordEvent.REVOKE)
    except states.TransitionRefused as err:
        raise Conflict(f"certification {record.id} is {before.status}: {err}", slug=err.rule) from err
    result = session.execute(
        update(CertificationRecord)
        .where(CertificationRecord.id == record.id, CertificationRecord.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=user.id, revocation_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"certification {record.id} was revoked meanwhile", slug="certification-revoked")
    session.refresh(record)
    audit.record(
        session,
        actor,
        "certification.revoke",
        "certification",
        record.id,
        at=now,
        vendor_id=record.vendor_id,
        before={"status": before.status},
        after={"status": "revoked", "reason": reason},
    )
    after = status(record, programs)
    log_events.certification_status(session, record.id, before.status, after, now)
    return after
