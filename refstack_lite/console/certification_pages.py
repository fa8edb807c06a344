"""The foundation's certifications: every record with its status now (why a suspended one is
suspended, why a revoked one was revoked), and revoking one with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from refstack_lite.api.v2_programs import window
from refstack_lite.certification import catalog, records, states
from refstack_lite.certification.programs import Program
from refstack_lite.console.blueprint import bp
from refstack_lite.console.foundation import ReasonForm, foundation_actor
from refstack_lite.db import begin_writing, get_session

PER_PAGE = 50
STATUSES = tuple(s.value for s in states.RecordStatus)


def _programs() -> dict[str, Program]:
    return {p.id: p for p in catalog.programs(get_session(), window())}


@bp.get("/certifications", endpoint="certifications")
def certifications_list() -> str:
    actor = foundation_actor()
    wanted = request.args.get("status", "")
    status = wanted if wanted in STATUSES else None
    found = records.listing(get_session(), actor, records.Filters(status=status), _programs())
    found.reverse()  # newest decision first
    total = len(found)
    pages = max(1, -(-total // PER_PAGE))
    page = min(pages, max(1, request.args.get("page", 1, type=int) or 1))
    return render_template(
        "console/certifications.html",
        items=found[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=total,
        page=page,
        pages=pages,
        status=status or "",
        statuses=STATUSES,
    )


@bp.get("/certifications/<certification_id>")
def certification(certification_id: str) -> tuple[str, int]:
    return _certification_page(certification_id, ReasonForm())


def _certification_page(certification_id: str, form: ReasonForm, code: int = 200) -> tuple[str, int]:
    actor = foundation_actor()
    session = get_session()
    record = records.get(session, actor, certification_id)
    programs = _programs()
    program = programs.get(record.program)
    target = None if program is None else program.target
    return render_template(
        "console/certification.html",
        c=record,
        status=records.status(record, programs),
        program=program,
        suspensions=records.suspensions(record, target),
        suspended_since=records.suspended_since(record, target),
        form=form,
    ), code


@bp.post("/certifications/<certification_id>/revoke")
def revoke_certification(certification_id: str) -> Response | tuple[str, int]:
    actor = foundation_actor()
    form = ReasonForm()
    if not form.validate():
        return _certification_page(certification_id, form, 400)
    session = get_session()
    begin_writing(session)
    record = records.get(session, actor, certification_id)
    records.revoke(session, actor, record, str(form.reason.data), datetime.now(UTC), _programs())
    session.commit()
    flash("Certification revoked; the directory shows it as revoked with your reason.", "success")
    return redirect(url_for("console.certification", certification_id=certification_id))
