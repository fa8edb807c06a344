"""A vendor's signing keys: the list, with each key as ``ssh-keygen -lf`` prints it, retiring
and revoking (on a page of its own: revocation cannot be undone). Registering a key needs proof
that the vendor holds it, so the console shows the client's command instead of taking a key."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateTimeLocalField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from refstack_lite.certification import status_changes
from refstack_lite.console import choices, signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.form_checks import MAX_TEXT, UsableText
from refstack_lite.console.forms import ActionForm
from refstack_lite.console.key_listing import listing
from refstack_lite.console.utc_input import as_utc
from refstack_lite.console.vendor_pages import worked_on
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import SigningKey, Vendor
from refstack_lite.services import signing_keys
from refstack_lite.services.actors import may_change, vendor_role

DEFAULT_KEY_FILE = "~/.config/refstack-lite/signing_key"  # where the client's keygen writes by default


class RevokeForm(FlaskForm):  # type: ignore[misc]
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=MAX_TEXT), UsableText()])
    # A browser sends a datetime-local without a zone; the page says it is read as UTC.
    compromised_since = DateTimeLocalField("Compromised since (UTC), optional", validators=[Optional()])


def _key_of(vendor: Vendor, key_id: str) -> SigningKey:
    return signing_keys.get(get_session(), signed_in.actor(), vendor, key_id)


@bp.get("/vendors/<vendor_id>/keys")
def keys(vendor_id: str) -> str:
    actor = signed_in.actor()
    session = get_session()
    found = worked_on(vendor_id)
    listed = session.scalars(
        signing_keys.keys_of(session, actor, found).order_by(SigningKey.registered_at, SigningKey.id)
    ).all()
    server = request.url_root.rstrip("/")
    return render_template(
        "console/keys.html",
        vendor=found,
        keys=listed,
        listing=listing,
        role=vendor_role(session, actor, found.id),
        may_change=may_change(session, actor, found),
        keygen="refstack-lite-client keygen",
        register=f"refstack-lite-client --url {server} keys register --key {DEFAULT_KEY_FILE} --vendor {found.id}",
        form=ActionForm(),
    )


@bp.post("/vendors/<vendor_id>/keys/<key_id>/retire")
def retire_key(vendor_id: str, key_id: str) -> Response:
    session = get_session()
    begin_writing(session)
    key = _key_of(worked_on(vendor_id), key_id)
    signing_keys.retire(session, signed_in.actor(), key, datetime.now(UTC))
    session.commit()
    flash(f"Key {key.fingerprint} is retired: it signs no new submissions; what it signed stays valid.", "success")
    return redirect(url_for("console.keys", vendor_id=key.vendor_id))


def _revoke_page(key: SigningKey, form: RevokeForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "console/key_revoke.html", vendor=key.vendor, key=key, listing=listing(key), form=form
    ), status


@bp.get("/vendors/<vendor_id>/keys/<key_id>/revoke")
def confirm_key_revocation(vendor_id: str, key_id: str) -> tuple[str, int]:
    return _revoke_page(_key_of(worked_on(vendor_id), key_id), RevokeForm())


@bp.post("/vendors/<vendor_id>/keys/<key_id>/revoke")
def revoke_key(vendor_id: str, key_id: str) -> Response | tuple[str, int]:
    form = RevokeForm()
    if not form.validate():
        return _revoke_page(_key_of(worked_on(vendor_id), key_id), form, 400)
    actor = signed_in.actor()
    session = get_session()
    begin_writing(session)
    key = _key_of(worked_on(vendor_id), key_id)
    since = as_utc(form.compromised_since.data)
    # As POST /v2/vendors/<id>/keys/<key>/revoke: certifications resting on the key change status.
    status_changes.revoke_key(session, actor, key, datetime.now(UTC), form.reason.data or "", since, choices.window())
    session.commit()
    flash(f"Key {key.fingerprint} is revoked.", "success")
    return redirect(url_for("console.keys", vendor_id=key.vendor_id))
