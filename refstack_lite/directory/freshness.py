"""When the public directory last changed, for ``Last-Modified``.

No status depends on the clock: each follows from stored facts, and every change of a fact is
a row with its time (an audit event, a decision, a revocation, a guideline revision). So the
latest of those times is when any public answer may last have changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refstack_lite.models import AuditEvent, CertificationRecord, GuidelineRevision


def last_change(session: Session) -> datetime | None:
    times = session.execute(
        select(
            select(func.max(AuditEvent.at)).scalar_subquery(),
            select(func.max(CertificationRecord.decided_at)).scalar_subquery(),
            select(func.max(CertificationRecord.revoked_at)).scalar_subquery(),
            select(func.max(GuidelineRevision.imported_at)).scalar_subquery(),
        )
    ).one()
    found = [t for t in times if t is not None]
    return max(found) if found else None
