"""The audit trail for the foundation: events newest first, filtered and paged, and the
filtered events as a download (the /v2 audit export's own stream, JSON lines)."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateTimeLocalField, StringField
from wtforms.validators import Length, Optional

from refstack_lite.api import v2_audit
from refstack_lite.console import paging
from refstack_lite.console.blueprint import bp
from refstack_lite.console.foundation import foundation_actor
from refstack_lite.console.utc_input import as_utc
from refstack_lite.db import get_session
from refstack_lite.models import AuditEvent
from refstack_lite.services import audit_trail

FIELDS = ("action", "actor", "vendor", "subject", "since", "until")


class AuditFilterForm(FlaskForm):  # type: ignore[misc]
    """Filters read from the query string (a search changes nothing: no CSRF token)."""

    action = StringField("Action", validators=[Optional(), Length(max=64)])
    actor = StringField("Actor", validators=[Optional(), Length(max=64)])
    vendor = StringField("Vendor id", validators=[Optional(), Length(max=36)])
    subject = StringField("Subject id", validators=[Optional(), Length(max=64)])
    since = DateTimeLocalField("From (UTC)", validators=[Optional()])
    until = DateTimeLocalField("Until (UTC, not included)", validators=[Optional()])

    def filters(self) -> audit_trail.Filters:
        return audit_trail.Filters(
            vendor_id=(self.vendor.data or "").strip() or None,
            action=(self.action.data or "").strip() or None,
            actor=(self.actor.data or "").strip() or None,
            subject_id=(self.subject.data or "").strip() or None,
            since=as_utc(self.since.data),
            until=as_utc(self.until.data),
        )


def _filter_form() -> AuditFilterForm:
    return AuditFilterForm(request.args, meta={"csrf": False})


def _chosen() -> dict[str, str]:
    """The filters of this request's query string, to carry into page and export links."""
    return {name: request.args[name] for name in FIELDS if request.args.get(name)}


def _refused(form: AuditFilterForm) -> tuple[str, int]:
    """The page again with the filters' errors and no events."""
    return render_template("console/audit.html", form=form, page=paging.page_of_list([], 1), chosen={}), 400


@bp.get("/audit", endpoint="audit")
def audit_list() -> tuple[str, int]:
    foundation_actor()
    form = _filter_form()
    if not form.validate():
        return _refused(form)
    query = audit_trail.matching(form.filters()).order_by(AuditEvent.id.desc())
    found = paging.page_of(get_session(), query, paging.requested())
    return render_template("console/audit.html", form=form, page=found, chosen=_chosen()), 200


@bp.get("/audit/export")
def audit_export() -> Response | tuple[str, int]:
    actor = foundation_actor()
    form = _filter_form()
    if not form.validate():
        return _refused(form)
    audit_trail.require_reader(actor)
    return v2_audit.exported(audit_trail.matching(form.filters()))
