"""A vendor's members and invitations: inviting by user name, changing a member's role,
removing a member, leaving the vendor, and declining an invitation."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from refstack_lite.console import signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.form_checks import UsableText
from refstack_lite.console.forms import ActionForm
from refstack_lite.console.vendor_pages import worked_on
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import User, Vendor
from refstack_lite.services import vendors
from refstack_lite.services.actors import VENDOR_ROLES, vendor_role

MAX_USER_NAME = 64  # as the API's NewMember body
ROLE_CHOICES = {role: role for role in VENDOR_ROLES}


class InviteForm(FlaskForm):  # type: ignore[misc]
    user = StringField("User name", validators=[DataRequired(), Length(max=MAX_USER_NAME), UsableText()])
    role = SelectField("Role", choices=ROLE_CHOICES, default="member")


class RoleForm(FlaskForm):  # type: ignore[misc]
    role = SelectField("Role", choices=ROLE_CHOICES)


def _members_page(
    session: Session, vendor: Vendor, invite: InviteForm, status: int = 200, problem: str | None = None
) -> tuple[str, int]:
    actor = signed_in.actor()
    everyone = session.scalars(vendors.members(session, actor, vendor).order_by(User.name)).all()
    return render_template(
        "console/members.html",
        vendor=vendor,
        role=vendor_role(session, actor, vendor.id),
        members=[m for m in everyone if m.accepted_at is not None],
        invited=[m for m in everyone if m.accepted_at is None],
        email_of=lambda m: vendors.shown_email(actor, m),
        invite=invite,
        roles=VENDOR_ROLES,
        problem=problem,
        form=ActionForm(),
    ), status


@bp.get("/vendors/<vendor_id>/members")
def members(vendor_id: str) -> tuple[str, int]:
    return _members_page(get_session(), worked_on(vendor_id), InviteForm())


@bp.post("/vendors/<vendor_id>/members")
def invite_member(vendor_id: str) -> Response | tuple[str, int]:
    form = InviteForm()
    if not form.validate():
        return _members_page(get_session(), worked_on(vendor_id), form, 400)
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    name = (form.user.data or "").strip()
    vendors.invite(session, signed_in.actor(), found, name, form.role.data, datetime.now(UTC))
    session.commit()
    flash(f"{name} is invited to {found.name} as {form.role.data}; they join by accepting in their console.", "success")
    return redirect(url_for("console.members", vendor_id=found.id))


@bp.post("/vendors/<vendor_id>/members/<name>/role")
def set_member_role(vendor_id: str, name: str) -> Response | tuple[str, int]:
    form = RoleForm()
    if not form.validate():
        problem = f"{name}'s role was not changed: " + " ".join(form.role.errors)
        return _members_page(get_session(), worked_on(vendor_id), InviteForm(formdata=None), 400, problem)
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    vendors.set_member_role(session, signed_in.actor(), found, name, form.role.data, datetime.now(UTC))
    session.commit()
    flash(f"{name} is now {form.role.data} of {found.name}.", "success")
    return redirect(url_for("console.members", vendor_id=found.id))


@bp.post("/vendors/<vendor_id>/members/<name>/remove")
def remove_member(vendor_id: str, name: str) -> Response:
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    vendors.remove_member(session, signed_in.actor(), found, name, datetime.now(UTC))
    session.commit()
    flash(f"{name} is no longer a member of (or invited to) {found.name}.", "success")
    return redirect(url_for("console.members", vendor_id=found.id))


@bp.post("/vendors/<vendor_id>/leave")
def leave_vendor(vendor_id: str) -> Response:
    actor = signed_in.actor()
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    vendors.remove_member(session, actor, found, actor.require_user().name, datetime.now(UTC))
    session.commit()
    flash(f"You left {found.name}.", "success")
    return redirect(url_for("console.home"))


@bp.post("/invitations/<vendor_id>/decline")
def decline_invitation(vendor_id: str) -> Response:
    """As ``DELETE /v2/vendors/<id>/members/<own name>``: an invitee finds the vendor only for this."""
    actor = signed_in.actor()
    session = get_session()
    begin_writing(session)
    found = vendors.get_for_invitee(session, actor, vendor_id)
    vendors.remove_member(session, actor, found, actor.require_user().name, datetime.now(UTC))
    session.commit()
    flash(f"You declined the invitation to {found.name}.", "success")
    return redirect(url_for("console.home"))
