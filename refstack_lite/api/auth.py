"""Bearer-token authentication for the API. There are no cookies, so there is nothing for
cross-site request forgery to ride on."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g, request

from refstack_lite.db import begin_writing, get_session
from refstack_lite.errors import Unauthenticated
from refstack_lite.services import accounts
from refstack_lite.services.actors import ANONYMOUS, Actor

WRITES = frozenset(("POST", "PUT", "PATCH", "DELETE"))


def current_actor() -> Actor:
    """The caller of this request. A token that is sent must be good: a bad one is a 401,
    never a silent fall-back to anonymous."""
    if "actor" not in g:
        g.actor = _authenticate(request.headers.get("Authorization"))
    actor: Actor = g.actor
    return actor


def _authenticate(header: str | None) -> Actor:
    if header is None:
        return ANONYMOUS
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'", slug="invalid-token")
    session = get_session()
    now = datetime.now(UTC)
    token, due = accounts.authenticate(session, secret, now)
    if due:  # kept even if the request itself fails; written as a writer from the start (SQLite)
        begin_writing(session)
        token.last_used_at = now
        session.commit()
    return Actor(token.user, token_expires_at=token.expires_at)


def authenticate_writes() -> None:
    """Before every /v2 write that found its route: each needs a signed-in caller, so an
    anonymous one is a 401 before its path, body or media type is looked at (a 400, 404 or 415
    would answer questions that only a signed-in caller may ask)."""
    if request.method in WRITES and request.path.startswith("/v2/") and request.routing_exception is None:
        current_actor().require_user()
