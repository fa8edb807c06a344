"""Signing in and out: with the configured OpenID Connect provider, or, in development only, as
any existing user (the demo needs no provider)."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from authlib.common.errors import AuthlibBaseError
from flask import current_app, flash, redirect, render_template, request, session, url_for
from joserfc.errors import BadSignatureError, JoseError
from sqlalchemy import select
from werkzeug.wrappers import Response

from refstack_lite.config import Settings
from refstack_lite.console import oidc_client, signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.forms import DevSignInForm
from refstack_lite.db import begin_writing, get_session
from refstack_lite.errors import InvalidInput, NotFound
from refstack_lite.models import User
from refstack_lite.services import identities

NEXT = "console_next"


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _refused(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("console/error.html", status=status, title=title, detail=detail, problems=[]), status


@bp.get("/sign-in")
def sign_in() -> Response | str:
    if signed_in.actor_if_loaded() is not None:
        return redirect(signed_in.safe_next(request.args.get("next")))
    settings = _settings()
    users: list[User] = []
    if settings.development_sign_in:
        users = list(get_session().scalars(select(User).order_by(User.name)))
    return render_template(
        "console/sign_in.html",
        oidc=settings.oidc,
        next=signed_in.safe_next(request.args.get("next")),
        users=users,
        dev_form=DevSignInForm(),
    )


@bp.get("/sign-in/start")
def sign_in_start() -> Response | tuple[str, int]:
    if _settings().oidc is None:
        return _refused(404, "Single sign-on is not set up", "This server has no OpenID Connect provider configured.")
    session[NEXT] = signed_in.safe_next(request.args.get("next"))
    try:
        answer: Response = oidc_client.client().authorize_redirect(url_for("console.callback", _external=True))
    except requests.RequestException as err:
        return _unreachable(err)
    return answer


def _unreachable(err: requests.RequestException) -> tuple[str, int]:
    return _refused(
        502,
        "The sign-in provider cannot be reached",
        f"The identity provider did not answer ({err.__class__.__name__}). Nobody was signed in; try again later.",
    )


@bp.get("/callback")
def callback() -> Response | tuple[str, int]:
    oidc = _settings().oidc
    if oidc is None:
        return _refused(404, "Single sign-on is not set up", "This server has no OpenID Connect provider configured.")
    try:
        token = oidc_client.client().authorize_access_token(claims_options=oidc_client.id_token_rules(oidc))
    except requests.RequestException as err:
        return _unreachable(err)
    except (AuthlibBaseError, JoseError) as err:
        return _refused(400, "Sign-in failed", f"{_reason(err)} Nobody was signed in.")
    claims = token.get("userinfo")
    if claims is None:
        return _refused(400, "Sign-in failed", "The provider's answer carried no ID token. Nobody was signed in.")
    db = get_session()
    begin_writing(db)
    try:
        user = identities.sign_in(db, oidc, claims, datetime.now(UTC))
    except InvalidInput as err:
        db.rollback()
        return _refused(400, "Sign-in failed", err.detail)
    target = session.get(NEXT)
    signed_in.begin(user, "oidc")
    db.commit()
    return redirect(signed_in.safe_next(target if isinstance(target, str) else None))


def _reason(err: Exception) -> str:
    """What went wrong, in words, for each way the provider's answer can be refused."""
    error = getattr(err, "error", None)
    description = getattr(err, "description", None) or str(err) or err.__class__.__name__
    if error == "mismatching_state":
        return (
            "The answer does not belong to a sign-in this browser started, or it was used already "
            "(the 'state' did not match)."
        )
    if isinstance(err, BadSignatureError):  # joserfc says no more than its error code
        return "The provider's ID token cannot be trusted: its signature does not verify with the provider's published keys."
    if isinstance(err, JoseError):
        return f"The provider's ID token cannot be trusted: {description}."
    return f"The provider refused or failed the sign-in: {error or ''} {description}.".replace("  ", " ")


@bp.post("/sign-out")
def sign_out() -> Response:
    db = get_session()
    begin_writing(db)
    signed_in.end()
    db.commit()
    flash("You are signed out.", "success")
    return redirect(url_for("console.sign_in"))


@bp.post("/dev-sign-in")
def dev_sign_in() -> Response | tuple[str, int]:
    form = DevSignInForm()  # the blueprint refused it already in production
    if not form.validate():
        return _refused(400, "Sign-in failed", "Choose a user to sign in as.")
    db = get_session()
    begin_writing(db)
    user = db.scalar(select(User).where(User.name == form.user.data))
    if user is None:
        db.rollback()
        raise NotFound(f"no user named {form.user.data!r}")
    target = request.form.get("next")
    signed_in.begin(user, "development")
    db.commit()
    return redirect(signed_in.safe_next(target))
