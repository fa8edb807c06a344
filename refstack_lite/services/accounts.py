"""Users, foundation roles and API tokens (random secrets kept only as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, joinedload

from refstack_lite.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from refstack_lite.models import ApiToken, User
from refstack_lite.services import audit
from refstack_lite.services.actors import FOUNDATION_ROLES, Actor

TOKEN_PREFIX = "rlt_"  # noqa: S105 - a visible marker, not a secret
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Writing last_used_at on every request would turn every read into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown to the user once and never stored."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user(session: Session, actor: Actor, name: str, email: str, role: str | None, now: datetime) -> User:
    if not USER_NAME.match(name):
        raise InvalidInput(
            f"user name {name!r} is not usable: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address")
    if role is not None and role not in FOUNDATION_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(FOUNDATION_ROLES)} or none, not {role!r}")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"a user named {name!r} already exists", slug="user-exists")
    user = User(name=name, email=email, role=role, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", name, at=now, after=user_fields(user))
    return user


def user_fields(user: User) -> dict[str, str | None]:
    return {"name": user.name, "email": user.email, "role": user.role}


def user_named(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def set_role(session: Session, actor: Actor, user: User, role: str | None, now: datetime) -> User:
    actor.require_admin()
    if role is not None and role not in FOUNDATION_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(FOUNDATION_ROLES)} or null, not {role!r}")
    if role == user.role:
        return user
    # Lock the admins' rows first, so two admins demoting each other at once cannot leave none.
    session.execute(update(User).where(User.role == "admin").values(role=User.role))
    session.refresh(user)
    if user.role == "admin" and _admin_count(session) == 1:
        raise Conflict("this is the last foundation admin; make another admin first", slug="last-admin")
    before = user.role
    user.role = role
    audit.record(session, actor, "user.role", "user", user.name, at=now, before={"role": before}, after={"role": role})
    return user


def _admin_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0


def issue_token(
    session: Session, actor: Actor, user: User, label: str, now: datetime, expires_at: datetime | None = None
) -> IssuedToken:
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("a token's expiry must be in the future")
    cap = actor.token_expires_at
    if cap is not None:  # else a token about to expire could mint one that never does
        if expires_at is not None and expires_at > cap:
            raise InvalidInput(f"a token cannot outlive the token that creates it (which expires at {cap.isoformat()})")
        expires_at = cap
    if not label or len(label) > 100:
        raise InvalidInput("a token needs a label of 1 to 100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        label=label,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        secret_hash=hash_secret(secret),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", "token", token.id, at=now, after=token_fields(token, user))
    return IssuedToken(token, secret)


def token_fields(token: ApiToken, user: User) -> dict[str, str | None]:
    return {
        "user": user.name,
        "label": token.label,
        "prefix": token.prefix,
        "expires_at": None if token.expires_at is None else token.expires_at.isoformat(),
    }


def revoke_token(session: Session, actor: Actor, token_id: str, now: datetime) -> ApiToken:
    user = actor.require_user()
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"you have no token {token_id!r}")
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            session,
            actor,
            "token.revoke",
            "token",
            token.id,
            at=now,
            before=token_fields(token, user),
            after={"revoked_at": now.isoformat()},
        )
    return token


# Every authenticated request runs it: built once, so SQLAlchemy reuses its compiled form.
_TOKEN = select(ApiToken).where(ApiToken.secret_hash == bindparam("secret_hash")).options(joinedload(ApiToken.user))


def authenticate(session: Session, secret: str, now: datetime) -> tuple[ApiToken, bool]:
    """The token (with its user), and whether its ``last_used_at`` is due to move on to ``now``
    (the caller writes that at once, so it is kept even when the request fails). Unknown, expired
    and revoked tokens are all a 401; the detail says which."""
    token = session.scalar(_TOKEN, {"secret_hash": hash_secret(secret)})
    if token is None:
        raise Unauthenticated("the API token is not known", slug="invalid-token")
    if token.revoked_at is not None:
        raise Unauthenticated("the API token has been revoked", slug="invalid-token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("the API token has expired", slug="invalid-token")
    due = token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION
    return token, due
