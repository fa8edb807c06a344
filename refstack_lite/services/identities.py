"""Accounts from OpenID Connect sign-ins: the provider's issuer and subject are the identity.

A first sign-in creates the account from the verified ID token's claims. The email address is
shown, never trusted to find an account, unless the provider says it is verified and the operator
allowed linking by it. Foundation roles come from admins; a claim grants one only where the
operator mapped its values to roles, and then only grants (an admin removes roles).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from refstack_lite.errors import InvalidInput
from refstack_lite.models import User, UserIdentity
from refstack_lite.services import audit
from refstack_lite.services.accounts import EMAIL, USER_NAME, user_fields
from refstack_lite.services.actors import FOUNDATION_ROLES, Actor
from refstack_lite.sign_in_settings import OidcSettings

MAX_SUBJECT = 255
_NOT_IN_NAMES = re.compile(r"[^a-z0-9._-]+")
# Higher first: a person in both mapped groups is an admin.
_RANK = {role: rank for rank, role in enumerate(reversed(FOUNDATION_ROLES))}


def sign_in(session: Session, oidc: OidcSettings, claims: Mapping[str, Any], now: datetime) -> User:
    """The account of the person the verified ``claims`` name, created or linked at first sign-in."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT:
        raise InvalidInput("the provider's ID token names no usable subject ('sub'); nobody was signed in")
    email, verified = _email(claims)
    identity = session.scalar(
        select(UserIdentity).where(UserIdentity.issuer == oidc.issuer, UserIdentity.subject == subject)
    )
    actor = Actor(None, label="sign-in")
    if identity is None:
        user = _linked(session, oidc, email, verified) or _new_user(session, actor, claims, email, now)
        identity = UserIdentity(
            user_id=user.id,
            issuer=oidc.issuer,
            subject=subject,
            email=email,
            email_verified=verified,
            created_at=now,
            last_sign_in_at=now,
        )
        session.add(identity)
        session.flush()
        audit.record(
            session,
            actor,
            "identity.link",
            "user",
            user.name,
            at=now,
            after={"issuer": oidc.issuer, "subject": subject, "email_verified": verified},
        )
    else:
        user = identity.user
        identity.email, identity.email_verified, identity.last_sign_in_at = email, verified, now
    _grant_mapped_role(session, oidc, claims, user, now)
    return user


def _email(claims: Mapping[str, Any]) -> tuple[str | None, bool]:
    email = claims.get("email")
    if not isinstance(email, str) or not EMAIL.match(email) or len(email) > 254:
        return None, False
    return email, claims.get("email_verified") is True


def _linked(session: Session, oidc: OidcSettings, email: str | None, verified: bool) -> User | None:
    """The one existing account with this verified email, where the operator allows linking.

    Only an account nobody signs in to yet (made by an admin or ``refstack-lite users``, whose
    address an admin typed) and without a foundation role: an account made at a sign-in keeps
    only verified addresses, yet must never change hands by one, and a role is never taken over
    by an email address."""
    if not (oidc.merge_verified_email and verified and email):
        return None
    found = session.scalars(
        select(User)
        .where(
            func.lower(User.email) == email.lower(),
            User.role.is_(None),
            ~exists().where(UserIdentity.user_id == User.id),
        )
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def _new_user(session: Session, actor: Actor, claims: Mapping[str, Any], email: str | None, now: datetime) -> User:
    # An address the provider did not verify is the identity's, never the account's: linking by
    # email (``_linked``) must not find an account through an address nobody proved.
    verified_email = email if email and claims.get("email_verified") is True else ""
    user = User(name=_free_name(session, _wanted_name(claims, email)), email=verified_email, role=None, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.name, at=now, after=user_fields(user))
    return user


def _wanted_name(claims: Mapping[str, Any], email: str | None) -> str:
    for raw in (claims.get("preferred_username"), email.partition("@")[0] if email else None, claims.get("name")):
        if isinstance(raw, str):
            name = _NOT_IN_NAMES.sub("-", raw.lower()).strip("._-")[:56]
            if name and USER_NAME.match(name):
                return name
    return "user"


def _free_name(session: Session, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``…: the first no account has yet."""
    taken = set(session.scalars(select(User.name).where(User.name.like(wanted + "%"))))
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"


def _grant_mapped_role(
    session: Session, oidc: OidcSettings, claims: Mapping[str, Any], user: User, now: datetime
) -> None:
    if oidc.role_claim is None:
        return
    values = claims.get(oidc.role_claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return
    granted = [oidc.role_map[v] for v in values if isinstance(v, str) and v in oidc.role_map]
    if not granted:
        return
    role = max(granted, key=lambda r: _RANK[r])
    if user.role is not None and _RANK[user.role] >= _RANK[role]:
        return
    before = user.role
    user.role = role
    audit.record(
        session,
        Actor(None, label="sign-in"),
        "user.role",
        "user",
        user.name,
        at=now,
        before={"role": before},
        after={"role": role, "claim": oidc.role_claim},
    )
