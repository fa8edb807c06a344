"""A person's own account: who the console knows them as, their API tokens (create, with the
secret shown once on the answer page and nowhere else, and revoke), and signing out everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from refstack_lite.console import signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.form_checks import UsableText
from refstack_lite.console.forms import ActionForm
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import ApiToken, UserIdentity
from refstack_lite.services import accounts, console_sessions

# value -> label: WTForms 3.3 deprecates the older (value, label) pairs.
LIFETIMES = {"90": "90 days", "30": "30 days", "365": "one year", "": "never expires"}


class TokenForm(FlaskForm):  # type: ignore[misc]
    label = StringField("Label", validators=[DataRequired(), Length(max=100), UsableText()])
    lifetime = SelectField("Expires after", choices=LIFETIMES, default="90")


def _page(form: TokenForm, status: int = 200, issued: accounts.IssuedToken | None = None) -> tuple[str, int]:
    user = signed_in.actor().require_user()
    session = get_session()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id)
    ).all()
    identities = session.scalars(
        select(UserIdentity).where(UserIdentity.user_id == user.id).order_by(UserIdentity.created_at)
    ).all()
    return render_template(
        "console/tokens.html",
        user=user,
        tokens=tokens,
        identities=identities,
        form=form,
        action=ActionForm(),
        issued=issued,
        now=datetime.now(UTC),
    ), status


@bp.get("/account", endpoint="tokens")
def account() -> tuple[str, int]:
    return _page(TokenForm())


@bp.post("/account/tokens")
def create_token() -> tuple[str, int]:
    form = TokenForm()
    if not form.validate():
        return _page(form, 400)
    actor = signed_in.actor()
    user = actor.require_user()
    now = datetime.now(UTC)
    expires = now + timedelta(days=int(form.lifetime.data)) if form.lifetime.data else None
    session = get_session()
    begin_writing(session)
    issued = accounts.issue_token(session, actor, user, form.label.data or "", now, expires)
    session.commit()
    # The secret is shown on this answer only: never put in the session cookie or a redirect.
    return _page(TokenForm(formdata=None), 201, issued)


@bp.post("/account/tokens/<token_id>/revoke")
def revoke_token(token_id: str) -> Response:
    session = get_session()
    begin_writing(session)
    token = accounts.revoke_token(session, signed_in.actor(), token_id, datetime.now(UTC))
    session.commit()
    flash(f"Token {token.label} ({token.prefix}…) is revoked: it no longer works.", "success")
    return redirect(url_for("console.tokens"))


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere() -> Response:
    user = signed_in.actor().require_user()
    session = get_session()
    begin_writing(session)
    console_sessions.end_all(session, user, datetime.now(UTC))
    signed_in.end()
    session.commit()
    flash("You are signed out of every console session.", "success")
    return redirect(url_for("console.sign_in"))
