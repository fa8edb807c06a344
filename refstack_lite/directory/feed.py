"""What happened to public certifications lately: issued, expired, suspended and revoked, newest first.

Each kind is one bounded query, so the feed costs the same however many certifications exist:
issued by decision time, revoked by revocation time, expired by the time their guideline left
the program's window (the same for every record of a program and guideline), and suspended
ones among the most recently issued, at the time the fact behind the suspension became known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, case, literal, null
from sqlalchemy.orm import Session

from refstack_lite.certification.programs import Program
from refstack_lite.directory import status_filter, values
from refstack_lite.directory.certifications import SORT_ORDERS, certification
from refstack_lite.directory.visibility import public_certifications
from refstack_lite.models import CertificationRecord

R = CertificationRecord


def events(session: Session, programs: Mapping[str, Program], limit: int = 50) -> tuple[values.FeedEvent, ...]:
    """The ``limit`` most recent events of public certifications, newest first."""
    found: list[values.FeedEvent] = []
    issued = session.scalars(public_certifications().order_by(*SORT_ORDERS["newest"]).limit(limit)).unique()
    for record in issued:
        found.append(values.FeedEvent("issued", record.decided_at, certification(record, programs), ()))
    revoked = session.scalars(
        public_certifications().where(R.revoked_at.is_not(None)).order_by(R.revoked_at.desc(), R.id.desc()).limit(limit)
    ).unique()
    for record in revoked:
        shown = certification(record, programs)
        assert record.revoked_at is not None
        found.append(values.FeedEvent("revoked", record.revoked_at, shown, shown.status.reasons))
    left_at = _left_window_at(programs)
    newest_expiry = () if left_at is None else (left_at.desc().nulls_last(),)
    expired = session.scalars(
        public_certifications()
        .where(status_filter.status_is("expired", programs))
        .order_by(*newest_expiry, R.decided_at.desc(), R.id)
        .limit(limit)
    ).unique()
    for record in expired:
        shown = certification(record, programs)
        if shown.status.since is not None:
            found.append(values.FeedEvent("expired", shown.status.since, shown, ()))
    suspended = session.scalars(
        public_certifications()
        .where(status_filter.status_is("suspended", programs))
        .order_by(*SORT_ORDERS["newest"])
        .limit(limit)
    ).unique()
    for record in suspended:
        shown = certification(record, programs)
        if shown.status.since is not None:
            found.append(values.FeedEvent("suspended", shown.status.since, shown, shown.status.reasons))
    found.sort(key=lambda e: (e.at, e.kind, e.certification.id), reverse=True)
    return tuple(found[:limit])


def _left_window_at(programs: Mapping[str, Program]) -> ColumnElement[Any] | None:
    """When each record's guideline left its program's window, as SQL (NULL while accepted);
    None when no guideline has left (PostgreSQL refuses a constant NULL in ORDER BY)."""
    whens = []
    for p in programs.values():
        for g in p.guidelines:
            left = p.left_window_at(g.name)
            if left is not None:
                whens.append(((R.program == p.id) & (R.guideline_name == g.name), literal(left, R.decided_at.type)))
    return case(*whens, else_=null()) if whens else None
