"""Reading the audit trail: who may, and which events a set of filters selects (the /v2 audit
API and the console's audit pages select with the same filters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from refstack_lite.errors import Forbidden
from refstack_lite.models import AuditEvent
from refstack_lite.services.actors import Actor


@dataclass(frozen=True)
class Filters:
    """Empty values select everything. ``action`` is exact, or a prefix when it ends in ``.``
    (``key.``); ``since`` is inclusive, ``until`` exclusive."""

    vendor_id: str | None = None
    action: str | None = None
    actor: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def require_reader(actor: Actor) -> None:
    actor.require_user()
    if not actor.is_foundation:
        raise Forbidden("only the foundation reads the audit trail")


def matching(filters: Filters) -> Select[AuditEvent]:
    """The events the filters select, in no order (the caller orders and pages them)."""
    query = select(AuditEvent)
    if filters.vendor_id:
        query = query.where(AuditEvent.vendor_id == filters.vendor_id)
    if filters.action:
        action = filters.action
        query = query.where(
            AuditEvent.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEvent.action == action
        )
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.subject_id:
        query = query.where(AuditEvent.subject_id == filters.subject_id)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    return query
