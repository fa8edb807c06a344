"""The statuses of ``certification.records.status`` as SQL conditions, to select and count rows
in the database rather than in Python. They only choose rows: the status shown is always the one
``records.status`` computes, and tests/functional/test_directory.py checks both agree.

Same order as ``states.record_status``: revoked wins; then expired when the program does not
accept the guideline now; then suspended while a fact the record rests on no longer holds.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import ColumnElement, and_, case, exists, false, not_, or_, select
from sqlalchemy.orm import aliased

from refstack_lite.certification.programs import Program
from refstack_lite.models import (
    CertificationRecord,
    GuidelineRevision,
    SigningKey,
    Submission,
    SubmissionVerdict,
    Vendor,
)

R = CertificationRecord


def in_window(programs: Mapping[str, Program]) -> ColumnElement[bool]:
    accepted = [
        and_(R.program == p.id, R.guideline_name.in_([g.name for g in p.accepted]))
        for p in programs.values()
        if p.accepted
    ]
    return or_(*accepted) if accepted else false()


def broken_fact(programs: Mapping[str, Program]) -> ColumnElement[bool]:
    """A key compromised before the results came, a vendor not official, or the submission's
    verdict for the program's target against a newer current revision of the guideline not eligible."""
    # Aliases of their own: the outer query joins these tables, and SQL would correlate to them.
    key, submission, vendor = aliased(SigningKey), aliased(Submission), aliased(Vendor)
    compromised = exists().where(
        key.id == R.signing_key_id,
        submission.id == R.submission_id,
        key.compromised_since.is_not(None),
        key.compromised_since <= submission.received_at,
    )
    unofficial = exists().where(vendor.id == R.vendor_id, vendor.status != "official")
    conditions = [compromised, unofficial]
    if programs:
        decided_on = aliased(GuidelineRevision)
        current = aliased(GuidelineRevision)
        target = case({p.id: p.target for p in programs.values()}, value=R.program)
        reevaluated = exists(
            select(SubmissionVerdict.submission_id)
            .join(current, current.id == SubmissionVerdict.guideline_revision_id)
            .join(decided_on, decided_on.id == R.guideline_revision_id)
            .where(
                SubmissionVerdict.submission_id == R.submission_id,
                SubmissionVerdict.target == target,
                current.guideline_id == decided_on.guideline_id,
                current.is_current.is_(True),
                current.id != R.guideline_revision_id,
                SubmissionVerdict.eligible.is_(False),
            )
        )
        conditions.append(reevaluated)
    return or_(*conditions)


def status_is(status: str, programs: Mapping[str, Program]) -> ColumnElement[bool]:
    """The condition for records whose ``records.status`` is ``status`` now."""
    revoked = R.revoked_at.is_not(None)
    if status == "revoked":
        return revoked
    window = in_window(programs)
    if status == "expired":
        return and_(not_(revoked), not_(window))
    if status == "suspended":
        return and_(not_(revoked), window, broken_fact(programs))
    if status == "active":
        return and_(not_(revoked), window, not_(broken_fact(programs)))
    raise ValueError(f"no status {status!r}")
