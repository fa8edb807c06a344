"""Who is signed in to the console: the Flask session cookie (signed with the deployment's
secret) holds a console session's secret, which must name a live session in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from refstack_lite.config import Settings
from refstack_lite.db import get_session
from refstack_lite.models import User
from refstack_lite.services import console_sessions
from refstack_lite.services.actors import Actor

SESSION_KEY = "console_session"  # the session cookie's member holding the secret
# Where a person who is not signed in may go: signing in itself.
OPEN = frozenset(
    (
        "console.sign_in",
        "console.sign_in_start",
        "console.callback",
        "console.dev_sign_in",
        "console.sign_out",
    )
)


def actor() -> Actor:
    """The signed-in person (every console view but the sign-in ones may rely on one)."""
    found: Actor = g.console_actor
    return found


def actor_if_loaded() -> Actor | None:
    found: Actor | None = g.get("console_actor")
    return found


def require_for(endpoint: str | None) -> Response | None:
    """Load the person of this request; send someone who is not signed in to the sign-in page."""
    g.console_actor = _load()
    if g.console_actor is not None or endpoint in OPEN or endpoint is None:
        return None
    if request.method == "GET":
        return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
    page = render_template(
        "console/error.html",
        status=401,
        title="Signed out",
        detail="Your console session has ended, or this browser never signed in. Nothing was changed. Sign in and try again.",
        problems=[],
    )
    return Response(page, status=401, mimetype="text/html")


def _load() -> Actor | None:
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return None
    found = console_sessions.find(get_session(), secret, datetime.now(UTC))
    if found is None:
        session.clear()  # an ended or expired session: the cookie is emptied too
        return None
    return Actor(found.user)


def begin(user: User, method: str) -> None:
    """Sign ``user`` in: a new session and a new cookie (nothing of the one before survives,
    its CSRF token and any sign-in state included); the caller commits."""
    settings: Settings = current_app.config["SETTINGS"]
    now = datetime.now(UTC)
    previous = session.get(SESSION_KEY)
    if isinstance(previous, str):  # signing in again, perhaps as someone else: the old session ends
        console_sessions.end(get_session(), previous, now)
    secret = console_sessions.start(get_session(), user, method, now, timedelta(hours=settings.session_hours))
    session.clear()
    session[SESSION_KEY] = secret
    session.permanent = True


def end() -> None:
    """Sign out: the session ends in the database and the cookie is emptied; the caller commits."""
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str):
        console_sessions.end(get_session(), secret, datetime.now(UTC))
    session.clear()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path of this site only, never another origin."""
    if not target:
        return url_for("console.home")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not parts.path.startswith("/console/")
        or target.startswith("//")
        or "\\" in target
        or not target.isprintable()  # a line break would end the Location header (urlsplit drops it)
    ):
        return url_for("console.home")
    return target
