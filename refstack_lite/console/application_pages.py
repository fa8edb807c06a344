"""Vendor applications: vendors asking to become official, oldest application first, each
approved or denied with a reason (foundation admins decide, as the vendors service says)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from refstack_lite.console.blueprint import bp
from refstack_lite.console.forms import ActionForm
from refstack_lite.console.foundation import ReasonForm, foundation_actor
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import Membership, User
from refstack_lite.services import vendors


@bp.get("/applications", endpoint="vendor_applications")
def vendor_applications() -> tuple[str, int]:
    return _applications_page()


def _applications_page(failed: str | None = None, form: ReasonForm | None = None, code: int = 200) -> tuple[str, int]:
    foundation_actor()
    session = get_session()
    pending = vendors.applications(session)
    owners: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(Membership.vendor_id, User.name)
        .join(User, Membership.user_id == User.id)
        .where(
            Membership.vendor_id.in_([v.id for v in pending]),
            Membership.role == "owner",
            Membership.accepted_at.is_not(None),
        )
        .order_by(User.name)
    )
    for vendor_id, name in rows:
        owners[vendor_id].append(name)
    return render_template(
        "console/applications.html",
        pending=pending,
        owners=owners,
        action_form=ActionForm(),
        failed=failed,
        form=form if form is not None else ReasonForm(formdata=None),
    ), code


@bp.post("/applications/<vendor_id>/approve")
def approve_application(vendor_id: str) -> Response:
    actor = foundation_actor()
    session = get_session()
    begin_writing(session)
    vendor = vendors.get_visible(session, actor, vendor_id)
    vendors.transition(session, actor, vendor, "approve", datetime.now(UTC))
    session.commit()
    flash(f"{vendor.name} is now an official vendor.", "success")
    return redirect(url_for("console.vendor_applications"))


@bp.post("/applications/<vendor_id>/deny")
def deny_application(vendor_id: str) -> Response | tuple[str, int]:
    actor = foundation_actor()
    actor.require_admin()  # as the API: before the reason is read, outsiders learn nothing from a 400
    form = ReasonForm()
    if not form.validate():
        return _applications_page(vendor_id, form, 400)
    session = get_session()
    begin_writing(session)
    vendor = vendors.get_visible(session, actor, vendor_id)
    vendors.transition(session, actor, vendor, "deny", datetime.now(UTC), form.reason.data)
    session.commit()
    flash(f"The application of {vendor.name} is denied; its members see your reason.", "success")
    return redirect(url_for("console.vendor_applications"))
