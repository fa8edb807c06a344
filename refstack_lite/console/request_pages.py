"""Certification requests in the console: the list the person may see (their vendors'; all for
the foundation), one request with its automatic checks and its decision, and withdrawing a
pending one (its vendor's members)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import Form, SelectField

from refstack_lite.certification import requests
from refstack_lite.certification.states import RequestState
from refstack_lite.console import choices, signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.forms import ActionForm
from refstack_lite.db import begin_writing, get_session
from refstack_lite.services.actors import vendor_role


class RequestFilters(Form):
    """The list's filters, read from the query string (a GET form: nothing to protect)."""

    state = SelectField("State", choices=[choices.ANY, *(choices.option(s.value) for s in RequestState)], default="")
    vendor = SelectField("Vendor", validate_choice=False)
    program = SelectField("Program", validate_choice=False)


@bp.get("/requests", endpoint="requests")
def request_list() -> tuple[str, int]:
    actor = signed_in.actor()
    session = get_session()
    form = RequestFilters(request.args)
    form.vendor.choices = [choices.ANY, *choices.vendors(session, actor)]
    form.program.choices = [choices.ANY, *(choices.option(p.id, p.name) for p in choices.programs(session))]
    if not form.validate():
        return render_template("console/requests.html", form=form, requests=[], filtered=True), 400
    filters = requests.Filters(
        vendor_id=form.vendor.data or None, program=form.program.data or None, state=form.state.data or None
    )
    found = requests.listing(session, actor, filters)
    filtered = any(value for value in request.args.values())
    return render_template("console/requests.html", form=form, requests=found, filtered=filtered), 200


@bp.get("/requests/<request_id>", endpoint="request")
def request_detail(request_id: str) -> str:
    actor = signed_in.actor()
    session = get_session()
    found = requests.get(session, actor, request_id)
    role = vendor_role(session, actor, found.vendor_id)
    return render_template("console/request.html", req=found, role=role, form=ActionForm())


@bp.post("/requests/<request_id>/withdraw")
def withdraw_request(request_id: str) -> Response:
    actor = signed_in.actor()
    session = get_session()
    begin_writing(session)
    found = requests.get(session, actor, request_id)
    requests.withdraw(session, actor, found, datetime.now(UTC))
    session.commit()
    flash("The certification request is withdrawn; nothing will be decided on it.", "success")
    return redirect(url_for("console.request", request_id=request_id))
