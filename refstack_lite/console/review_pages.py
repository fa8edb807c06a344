"""The foundation's review queue: pending certification requests, oldest first, and one
request's review screen with everything needed to approve it or deny it with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import Length

from refstack_lite import certificate_issuer
from refstack_lite.certification import records, requests, review
from refstack_lite.console import choices
from refstack_lite.console.blueprint import bp
from refstack_lite.console.form_checks import MAX_TEXT, UsableText
from refstack_lite.console.foundation import ReasonForm, foundation_actor
from refstack_lite.db import begin_writing, get_session
from refstack_lite.errors import Forbidden


class ApproveForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField("Note (optional)", validators=[Length(max=MAX_TEXT), UsableText()])


@bp.get("/review", endpoint="review_queue")
def review_queue() -> str:
    actor = foundation_actor()
    pending = requests.waiting(get_session(), actor)
    return render_template("console/review_queue.html", pending=pending)


@bp.get("/review/<request_id>")
def review_request(request_id: str) -> tuple[str, int]:
    return _review_page(request_id, ApproveForm(), ReasonForm())


def _review_page(
    request_id: str, approve_form: ApproveForm, deny_form: ReasonForm, status: int = 200
) -> tuple[str, int]:
    actor = foundation_actor()
    session = get_session()
    found = requests.get(session, actor, request_id)
    facts = review.facts(session, actor, found)
    programs = choices.programs_by_id(session)
    program = programs.get(found.program)
    guideline = found.guideline_revision.guideline.name
    others = records.listing(
        session,
        actor,
        records.Filters(vendor_id=found.vendor_id, product_id=found.product_version.product_id),
        programs,
    )
    refusal = None
    try:
        requests.require_reviewer(session, actor, found)
    except Forbidden as err:
        refusal = err.detail
    return render_template(
        "console/review.html",
        r=found,
        facts=facts,
        report=None if facts.verdict is None else facts.verdict.report,
        program=program,
        accepted=program is not None and program.accepts(guideline),
        others=others,
        refusal=refusal,
        approve_form=approve_form,
        deny_form=deny_form,
    ), status


@bp.post("/review/<request_id>/approve")
def approve_request(request_id: str) -> Response | tuple[str, int]:
    actor = foundation_actor()
    form = ApproveForm()
    if not form.validate():
        return _review_page(request_id, form, ReasonForm(formdata=None), 400)
    session = get_session()
    begin_writing(session)
    found = requests.get(session, actor, request_id)
    issuer = certificate_issuer.of(current_app)
    record = requests.approve(session, actor, found, form.note.data or None, datetime.now(UTC), issuer)
    session.commit()
    flash(f"Request approved: certification {record.id} is issued.", "success")
    return redirect(url_for("console.review_request", request_id=request_id))


@bp.post("/review/<request_id>/deny")
def deny_request(request_id: str) -> Response | tuple[str, int]:
    actor = foundation_actor()
    form = ReasonForm()
    if not form.validate():
        return _review_page(request_id, ApproveForm(formdata=None), form, 400)
    session = get_session()
    begin_writing(session)
    found = requests.get(session, actor, request_id)
    requests.deny(session, actor, found, str(form.reason.data), datetime.now(UTC))
    session.commit()
    flash("Request denied; the vendor sees your reason.", "success")
    return redirect(url_for("console.review_request", request_id=request_id))
