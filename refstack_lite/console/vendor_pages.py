"""A person's vendors: the list (every vendor for the foundation), creating one, and one
vendor's overview."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import exists, func, select
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from refstack_lite.console import paging, signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.form_checks import MAX_TEXT, UsableText
from refstack_lite.console.forms import ActionForm
from refstack_lite.db import begin_writing, get_session
from refstack_lite.errors import Forbidden
from refstack_lite.models import Membership, Vendor
from refstack_lite.services import vendors
from refstack_lite.services.actors import can_see_internals, may_own, vendor_role, vendor_roles


class VendorForm(FlaskForm):  # type: ignore[misc]
    """A vendor's name and description, when it is created and when it is changed."""

    name = StringField("Name", validators=[DataRequired(), Length(max=vendors.MAX_NAME), UsableText()])
    description = TextAreaField("Description", validators=[Length(max=MAX_TEXT), UsableText()])


@bp.get("/vendors", endpoint="vendors")
def vendors_list() -> tuple[str, int]:
    return _vendors_page(VendorForm())


def _vendors_page(form: VendorForm, status: int = 200) -> tuple[str, int]:
    actor = signed_in.actor()
    user = actor.require_user()
    session = get_session()
    query = select(Vendor)
    wanted = request.args.get("status", "")
    text = request.args.get("q", "").strip()
    if not actor.is_foundation:
        query = query.where(
            exists().where(
                Membership.vendor_id == Vendor.id, Membership.user_id == user.id, Membership.accepted_at.is_not(None)
            )
        )
    if wanted in vendors.STATUSES:
        query = query.where(Vendor.status == wanted)
    if text:
        query = query.where(func.lower(Vendor.name).contains(text.lower(), autoescape=True))
    found = paging.page_of(session, query.order_by(Vendor.name, Vendor.id), paging.requested())
    return render_template(
        "console/vendors.html",
        page=found,
        roles=vendor_roles(session, actor),
        status=wanted,
        statuses=vendors.STATUSES,
        q=text,
        form=form,
    ), status


@bp.post("/vendors")
def create_vendor() -> Response | tuple[str, int]:
    form = VendorForm()
    if not form.validate():
        return _vendors_page(form, 400)
    actor = signed_in.actor()
    session = get_session()
    begin_writing(session)
    vendor = vendors.create(session, actor, form.name.data or "", form.description.data or "", datetime.now(UTC))
    session.commit()
    flash(f"Vendor {vendor.name} created; you are its owner.", "success")
    return redirect(url_for("console.vendor", vendor_id=vendor.id))


def worked_on(vendor_id: str) -> Vendor:
    """The vendor, for its members and the foundation only: anyone else is refused, even for an
    official vendor whose public page they may read (a private one stays unknown to them)."""
    actor = signed_in.actor()
    session = get_session()
    found = vendors.get_visible(session, actor, vendor_id)
    if not can_see_internals(session, actor, found.id):
        raise Forbidden(f"only members of vendor {found.name!r} and the foundation may open its console pages")
    return found


@bp.get("/vendors/<vendor_id>")
def vendor(vendor_id: str) -> str:
    actor = signed_in.actor()
    session = get_session()
    found = worked_on(vendor_id)
    role = vendor_role(session, actor, found.id)
    owns = may_own(session, actor, found)
    return render_template("console/vendor.html", vendor=found, role=role, may_own=owns, form=ActionForm())
