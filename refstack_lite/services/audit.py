"""The append-only audit trail: every change to identities, who made it, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from refstack_lite.models import Base
from refstack_lite.services.actors import Actor

# Written at once with one prebuilt statement: an event has no foreign keys, so it never waits
# for the unit of work, and the intake pays no ORM object for it.
_APPEND = insert(Base.metadata.tables["audit_events"])


def record(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str,
    *,
    at: datetime,
    vendor_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one event in the session's transaction: it is stored with the change or not at all."""
    session.connection().execute(
        _APPEND,
        {
            "at": at,
            "actor": actor.name,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "vendor_id": vendor_id,
            "before": before,
            "after": after,
        },
    )


def record_change(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str,
    *,
    at: datetime,
    vendor_id: str | None,
    before: dict[str, Any],
    after: dict[str, Any],
) -> bool:
    """Record only the fields that differ, and nothing when none does; True when it recorded."""
    keys = [k for k in after if before.get(k) != after[k]]
    if not keys:
        return False
    old, new = {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
    record(session, actor, action, subject_type, subject_id, at=at, vendor_id=vendor_id, before=old, after=new)
    return True
