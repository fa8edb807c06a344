"""The audit trail, newest first, for the foundation: /v2/audit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, parse_time
from refstack_lite.api.openapi.builders import TIME
from refstack_lite.api.openapi.operations import REQUIRED, operation, paginated, query_param
from refstack_lite.api.pagination import page
from refstack_lite.db import get_session
from refstack_lite.errors import Forbidden
from refstack_lite.models import AuditEvent

bp = Blueprint("v2_audit", __name__, url_prefix="/v2/audit")


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
    query=(
        query_param("vendor", "only events of this vendor (a vendor id)"),
        query_param("action", "an action (key.revoke), or a prefix ending in '.' (key.)"),
        query_param("subject", "only events about this subject id"),
        query_param("since", "events at or after this time (RFC 3339 with offset)", TIME),
        query_param("until", "events before this time (RFC 3339 with offset)", TIME),
    ),
)
def list_events() -> Response:
    """Filters: ``vendor``, ``action`` (exact, or a prefix ending in ``.``: ``key.``),
    ``subject``, ``since`` and ``until`` (RFC 3339)."""
    actor = current_actor()
    actor.require_user()
    if not actor.is_foundation:
        raise Forbidden("only the foundation reads the audit trail")
    query = select(AuditEvent)
    args = request.args
    if args.get("vendor"):
        query = query.where(AuditEvent.vendor_id == args["vendor"])
    if args.get("action"):
        action = args["action"]
        query = query.where(
            AuditEvent.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEvent.action == action
        )
    if args.get("subject"):
        query = query.where(AuditEvent.subject_id == args["subject"])
    if args.get("since"):
        query = query.where(AuditEvent.at >= parse_time(args["since"], "$.since"))
    if args.get("until"):
        query = query.where(AuditEvent.at < parse_time(args["until"], "$.until"))
    return page(get_session(), query, [AuditEvent.id], event_json, descending=True)
