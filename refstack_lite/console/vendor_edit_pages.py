"""Changing one vendor: its name and description, its application to become official, and its
deletion (after a confirmation page)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from refstack_lite.console import signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.forms import ActionForm
from refstack_lite.console.vendor_pages import VendorForm, worked_on
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import Vendor
from refstack_lite.services import vendors


def _edit_page(vendor: Vendor, form: VendorForm, status: int = 200) -> tuple[str, int]:
    return render_template("console/vendor_edit.html", vendor=vendor, form=form), status


@bp.get("/vendors/<vendor_id>/edit")
def edit_vendor(vendor_id: str) -> tuple[str, int]:
    found = worked_on(vendor_id)
    return _edit_page(found, VendorForm(data={"name": found.name, "description": found.description}))


@bp.post("/vendors/<vendor_id>/edit")
def save_vendor(vendor_id: str) -> Response | tuple[str, int]:
    form = VendorForm()
    if not form.validate():
        return _edit_page(worked_on(vendor_id), form, 400)
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    vendors.update(
        session, signed_in.actor(), found, datetime.now(UTC), form.name.data or "", form.description.data or ""
    )
    session.commit()
    flash(f"Vendor {found.name} saved.", "success")
    return redirect(url_for("console.vendor", vendor_id=found.id))


def _transition(vendor_id: str, action: str, done: str) -> Response:
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    vendors.transition(session, signed_in.actor(), found, action, datetime.now(UTC))
    session.commit()
    flash(done.format(name=found.name), "success")
    return redirect(url_for("console.vendor", vendor_id=found.id))


@bp.post("/vendors/<vendor_id>/apply")
def apply_vendor(vendor_id: str) -> Response:
    return _transition(
        vendor_id, "apply", "{name} applied to become an official vendor; the foundation will review the application."
    )


@bp.post("/vendors/<vendor_id>/withdraw")
def withdraw_vendor(vendor_id: str) -> Response:
    return _transition(vendor_id, "withdraw", "The application of {name} is withdrawn; the vendor is private again.")


@bp.get("/vendors/<vendor_id>/delete")
def confirm_vendor_deletion(vendor_id: str) -> str:
    return render_template("console/vendor_delete.html", vendor=worked_on(vendor_id), form=ActionForm())


@bp.post("/vendors/<vendor_id>/delete")
def delete_vendor(vendor_id: str) -> Response:
    session = get_session()
    begin_writing(session)
    found = worked_on(vendor_id)
    name = found.name
    vendors.delete(session, signed_in.actor(), found, datetime.now(UTC))
    session.commit()
    flash(f"Vendor {name} deleted.", "success")
    return redirect(url_for("console.vendors"))
