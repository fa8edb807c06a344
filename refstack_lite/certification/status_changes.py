"""Status changes that facts cause, written to the audit trail by the step that changes the fact.

A record's status is computed when asked (``records.status``), so nothing would otherwise note
when a guideline import expired it or a key revocation suspended it. A step that changes such
a fact does it inside ``recorded`` (``statuses`` before the change, ``record`` after it, in the
same transaction); revoking a key is ``revoke_key``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite.certification import catalog, records, states
from refstack_lite.models import CertificationRecord, SigningKey
from refstack_lite.services import audit, signing_keys
from refstack_lite.services.actors import Actor
from refstack_lite.transparency import log_events

Change = tuple[str, states.RecordStatus, states.RecordStatus]  # certification id, old status, new status


def statuses(session: Session, window: int) -> dict[str, states.Status]:
    """The status of every certification now."""
    programs = {p.id: p for p in catalog.programs(session, window)}
    rows = session.scalars(records.loaded(select(CertificationRecord))).unique()
    return {r.id: records.status(r, programs) for r in rows}


def record(
    session: Session, actor: Actor, before: dict[str, states.Status], window: int, now: datetime
) -> list[Change]:
    """Audit every certification whose status differs from ``before``; the changes."""
    session.flush()
    after = statuses(session, window)
    vendors = {
        row.id: row.vendor_id for row in session.execute(select(CertificationRecord.id, CertificationRecord.vendor_id))
    }
    changes = []
    for record_id, now_status in after.items():
        old = before.get(record_id)
        if old is None or old.status == now_status.status:
            continue
        changes.append((record_id, old.status, now_status.status))
        log_events.certification_status(session, record_id, old.status, now_status, now)
        audit.record(
            session,
            actor,
            "certification.status",
            "certification",
            record_id,
            at=now,
            vendor_id=vendors[record_id],
            before={"status": old.status.value},
            after={
                "status": now_status.status.value,
                "since": None if now_status.since is None else now_status.since.isoformat(),
                "reasons": list(now_status.reasons),
            },
        )
    return changes


@contextmanager
def recorded(session: Session, actor: Actor, window: int, now: datetime) -> Iterator[list[Change]]:
    """Audit the status changes the block's step causes: the list it yields holds them once the
    block is done (a block that raises records nothing; its transaction is rolled back)."""
    before = statuses(session, window)
    changes: list[Change] = []
    yield changes
    changes.extend(record(session, actor, before, window, now))


def revoke_key(
    session: Session,
    actor: Actor,
    key: SigningKey,
    now: datetime,
    reason: str,
    compromised_since: datetime | None,
    window: int,
) -> SigningKey:
    """Revoke the key (``signing_keys.revoke``) and audit the certifications it suspends."""
    with recorded(session, actor, window, now):
        return signing_keys.revoke(session, actor, key, now, reason, compromised_since)
