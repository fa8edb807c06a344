"""The console's overview: the person's vendors and invitations, and for the foundation what
waits for a decision."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from refstack_lite.certification import requests
from refstack_lite.console import signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.forms import ActionForm
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import Membership, Vendor
from refstack_lite.services import vendors


@bp.get("/")
def home() -> str:
    actor = signed_in.actor()
    user = actor.require_user()
    session = get_session()
    memberships = session.scalars(
        select(Membership)
        .join(Vendor, Membership.vendor_id == Vendor.id)
        .where(Membership.user_id == user.id)
        .order_by(Vendor.name)
    ).all()
    waiting: dict[str, int] = {}
    if actor.is_foundation:
        waiting = {"requests": requests.count_waiting(session), "applications": vendors.count_applications(session)}
    return render_template(
        "console/home.html",
        members=[m for m in memberships if m.accepted_at is not None],
        invitations=[m for m in memberships if m.accepted_at is None],
        waiting=waiting,
        form=ActionForm(),
    )


@bp.post("/invitations/<vendor_id>/accept")
def accept_invitation(vendor_id: str) -> Response:
    actor = signed_in.actor()
    session = get_session()
    begin_writing(session)
    vendor = vendors.get_for_invitee(session, actor, vendor_id)
    vendors.accept_invitation(session, actor, vendor, datetime.now(UTC))
    session.commit()
    flash(f"You are now a member of {vendor.name}.", "success")
    return redirect(url_for("console.home"))
