"""The foundation's certifications: every record with its status now (why a suspended one is
suspended, why a revoked one was revoked), its certificate to download, and revoking one with a
reason."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from refstack_lite import foundation_key
from refstack_lite.certification import certificate_files, records, states
from refstack_lite.certification.programs import Program
from refstack_lite.console import choices, paging
from refstack_lite.console.blueprint import bp
from refstack_lite.console.foundation import ReasonForm, foundation_actor
from refstack_lite.db import begin_writing, get_session
from refstack_lite.errors import NotFound
from refstack_lite.models import CertificationRecord

STATUSES = tuple(s.value for s in states.RecordStatus)


def _programs() -> dict[str, Program]:
    return choices.programs_by_id(get_session())


@bp.get("/certifications", endpoint="certifications")
def certifications_list() -> str:
    actor = foundation_actor()
    session = get_session()
    wanted = request.args.get("status", "")
    status = wanted if wanted in STATUSES else None
    programs = _programs()
    found: paging.Page[tuple[CertificationRecord, states.Status]]
    if status is None:
        # Every record, so the database pages them; only the page's statuses are computed.
        # (The foundation sees every record: records.listing would keep them all.)
        query = records.loaded(select(CertificationRecord)).order_by(
            CertificationRecord.decided_at.desc(), CertificationRecord.id.desc()
        )
        rows = paging.page_of(session, query, paging.requested())
        found = paging.Page([(r, records.status(r, programs)) for r in rows.items], rows.number, rows.pages, rows.total)
    else:
        # A status is computed (from programs, key revocations, suspensions), not stored: filter
        # every record's status now, then page.
        listed = records.listing(session, actor, records.Filters(status=status), programs)
        listed.reverse()  # newest decision first
        found = paging.page_of_list(listed, paging.requested())
    return render_template("console/certifications.html", page=found, status=status or "", statuses=STATUSES)


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
    withheld = None
    try:
        certificate_files.readable(session, actor, record.id)
    except NotFound as err:  # approved before certificates existed
        withheld = err.detail
    vkey = foundation_key.of(current_app).current.vkey
    return render_template(
        "console/certification.html",
        certificate_withheld=withheld,
        certificate_file=certificate_files.filename(record.id),
        certificate_command=certificate_files.verify_command(record.id, vkey),
        c=record,
        status=records.status(record, programs),
        program=program,
        suspensions=records.suspensions(record, target),
        suspended_since=records.suspended_since(record, target),
        form=form,
    ), code


@bp.get("/certifications/<certification_id>/certificate")
def certification_certificate(certification_id: str) -> Response:
    """The certificate file, as the API serves it (the console answers are never cached)."""
    actor = foundation_actor()
    signer = foundation_key.of(current_app).signer
    found = certificate_files.served(get_session(), actor, certification_id, signer)
    response = Response(found.body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate_files.filename(certification_id)}"'
    return response


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
