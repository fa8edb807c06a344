"""Signed-in console sessions. The browser's cookie carries a random secret; the server keeps its
SHA-256, the person and the expiry, so a session ends for good at sign-out or expiry."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from refstack_lite.models import ConsoleSession, User
from refstack_lite.services import audit
from refstack_lite.services.accounts import hash_secret
from refstack_lite.services.actors import Actor

METHODS = ("oidc", "development")

_FIND = (
    select(ConsoleSession)
    .where(ConsoleSession.secret_hash == bindparam("secret_hash"), ConsoleSession.ended_at.is_(None))
    .options(joinedload(ConsoleSession.user))
)


def start(session: Session, user: User, method: str, now: datetime, lifetime: timedelta) -> str:
    """A new session for ``user``; returns the secret for the browser (shown nowhere else)."""
    assert method in METHODS
    secret = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            secret_hash=hash_secret(secret), user_id=user.id, method=method, created_at=now, expires_at=now + lifetime
        )
    )
    audit.record(session, Actor(user), "session.start", "user", user.name, at=now, after={"method": method})
    return secret


def find(session: Session, secret: str, now: datetime) -> ConsoleSession | None:
    """The live session of ``secret``: None when unknown, ended or expired."""
    found = session.scalar(_FIND, {"secret_hash": hash_secret(secret)})
    if found is None or found.expires_at <= now:
        return None
    return found


def end(session: Session, secret: str, now: datetime) -> None:
    """End the session of ``secret`` (signing out); nothing when it is already over."""
    found = find(session, secret, now)
    if found is None:
        return
    found.ended_at = now
    audit.record(session, Actor(found.user), "session.end", "user", found.user.name, at=now)


def end_all(session: Session, user: User, now: datetime) -> int:
    """End every live session of ``user`` ("sign out everywhere"); how many there were."""
    done = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user.id, ConsoleSession.ended_at.is_(None), ConsoleSession.expires_at > now)
        .values(ended_at=now)
    )
    ended = int(getattr(done, "rowcount", 0) or 0)
    audit.record(session, Actor(user), "session.end-all", "user", user.name, at=now, after={"sessions": ended})
    return ended
