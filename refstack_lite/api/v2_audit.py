"""The audit trail for the foundation: /v2/audit (pages, newest first) and /v2/audit/export
(every matching event, oldest first, streamed as JSON lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request, stream_with_context
from sqlalchemy import Select
from sqlalchemy.orm import Session

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, parse_time
from refstack_lite.api.openapi.builders import TIME
from refstack_lite.api.openapi.operations import REQUIRED, answer, operation, paginated, query_param
from refstack_lite.api.pagination import page
from refstack_lite.db import get_session, sessions
from refstack_lite.models import AuditEvent
from refstack_lite.services import audit_trail

bp = Blueprint("v2_audit", __name__, url_prefix="/v2/audit")

JSON_LINES = "application/x-ndjson"  # one event per line (JSON Lines, also called NDJSON)
EXPORT_BATCH = 500  # events read per query while streaming
FILTERS = (
    query_param("vendor", "only events of this vendor (a vendor id)"),
    query_param("action", "an action (key.revoke), or a prefix ending in '.' (key.)"),
    query_param("actor", "only events by this actor (a user name, or the operator console's label)"),
    query_param("subject", "only events about this subject id"),
    query_param("since", "events at or after this time (RFC 3339 with offset)", TIME),
    query_param("until", "events before this time (RFC 3339 with offset)", TIME),
)


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "vendor_id": event.vendor_id,
        "before": event.before,
        "after": event.after,
    }


@bp.get("")
@operation(
    "listAuditEvents",
    "audit",
    "The audit trail, newest first (foundation only)",
    paginated("one page of events", "AuditEvent"),
    auth=REQUIRED,
    errors=(403,),
    query=FILTERS,
)
def list_events() -> Response:
    """Filters: ``vendor``, ``action`` (exact, or a prefix ending in ``.``: ``key.``),
    ``actor``, ``subject``, ``since`` and ``until`` (RFC 3339)."""
    audit_trail.require_reader(current_actor())
    return page(get_session(), audit_trail.matching(_filters()), [AuditEvent.id], event_json, descending=True)


@bp.get("/export")
@operation(
    "exportAuditEvents",
    "audit",
    "Every matching event, oldest first, as JSON lines (foundation only)",
    answer(
        "one AuditEvent per line, streamed",
        {JSON_LINES: {"type": "string", "description": "lines, each an AuditEvent (components/schemas/AuditEvent)"}},
    ),
    auth=REQUIRED,
    errors=(403,),
    query=FILTERS,
    description=(
        "Streamed as it is read (application/x-ndjson: one JSON object per line, each ending in a "
        "newline), in the order of the trail, with the same filters as listAuditEvents. "
        "An empty answer is an empty body."
    ),
)
def export_events() -> Response:
    audit_trail.require_reader(current_actor())
    return exported(audit_trail.matching(_filters()))  # every filter checked before the answer starts


def exported(query: Select[AuditEvent]) -> Response:
    """The events of ``query``, streamed as JSON lines, oldest first: the table is read in pages
    of ``EXPORT_BATCH`` events (by id, from where the last page ended), never all at once. The
    console's audit export answers with this too."""
    # A session of its own, closed when the stream ends or is dropped: the request's session is
    # closed as soon as the view returns, before the stream is read.
    factory = sessions(current_app)

    def lines() -> Iterator[str]:
        with factory() as session:
            yield from _lines(session, query)

    response = Response(stream_with_context(lines()), mimetype=JSON_LINES)
    response.headers["Content-Disposition"] = 'attachment; filename="audit.jsonl"'
    return response


def _lines(session: Session, query: Select[AuditEvent]) -> Iterator[str]:
    after = 0
    while True:
        events = list(session.scalars(query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(EXPORT_BATCH)))
        for event in events:
            yield json.dumps(event_json(event), separators=(",", ":")) + "\n"
        if len(events) < EXPORT_BATCH:
            return
        after = events[-1].id
        session.expunge_all()  # what was streamed need not stay in memory


def _filters() -> audit_trail.Filters:
    args = request.args
    return audit_trail.Filters(
        vendor_id=args.get("vendor") or None,
        action=args.get("action") or None,
        actor=args.get("actor") or None,
        subject_id=args.get("subject") or None,
        since=parse_time(args["since"], "$.since") if args.get("since") else None,
        until=parse_time(args["until"], "$.until") if args.get("until") else None,
    )
