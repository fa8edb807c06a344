"""Users, foundation roles and API tokens under /v2."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy import select

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, json_body, parse_time
from refstack_lite.api.openapi.operations import REQUIRED, USER_NAME, created, no_content, ok, operation, paginated
from refstack_lite.api.pagination import page
from refstack_lite.db import get_session
from refstack_lite.errors import Forbidden
from refstack_lite.models import ApiToken, Membership, User
from refstack_lite.services import accounts

bp = Blueprint("v2_accounts", __name__, url_prefix="/v2")


def user_json(user: User) -> dict[str, Any]:
    return {"name": user.name, "email": user.email, "role": user.role, "created_at": iso(user.created_at)}


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "label": token.label,
        "prefix": token.prefix,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
    }


def _issued(issued: accounts.IssuedToken) -> dict[str, Any]:
    return {**token_json(issued.token), "token": issued.secret, "note": "shown once: store it now"}


@bp.get("/users/me")
@operation(
    "getMe",
    "accounts",
    "The caller, with the vendors they belong to or are invited to",
    ok("the caller", "Me"),
    auth=REQUIRED,
)
def me() -> Response:
    user = current_actor().require_user()
    session = get_session()
    memberships = session.scalars(select(Membership).where(Membership.user_id == user.id))
    # An invitation grants nothing until accepted: its url is the invitation itself (POST to accept).
    vendors = [
        {
            "id": m.vendor_id,
            "name": m.vendor.name,
            "status": m.vendor.status,
            "role": m.role,
            "accepted": m.accepted_at is not None,
            "url": url_for(
                "v2_vendors.get_vendor" if m.accepted_at is not None else "v2_vendors.accept_invitation",
                vendor_id=m.vendor_id,
            ),
        }
        for m in memberships
    ]
    return jsonify({**user_json(user), "vendors": vendors})


@bp.get("/users")
@operation(
    "listUsers",
    "accounts",
    "Every user, by name (foundation only)",
    paginated("one page of users", "User"),
    auth=REQUIRED,
    errors=(403,),
)
def list_users() -> Response:
    actor = current_actor()
    actor.require_user()
    if not actor.is_foundation:
        raise Forbidden("only the foundation lists users")
    return page(get_session(), select(User), [User.name], user_json)


@bp.post("/users")
@operation(
    "createUser",
    "accounts",
    "Create a user with a first API token (foundation admin only)",
    created("the user, with its token's secret shown once", "NewUserCreated"),
    auth=REQUIRED,
    errors=(403, 409),
    body="NewUser",
)
def create_user() -> tuple[Response, int]:
    actor = current_actor()
    actor.require_admin()
    body = json_body("NewUser")
    session = get_session()
    now = datetime.now(UTC)
    user = accounts.create_user(session, actor, body["name"], body["email"], body.get("role"), now)
    issued = accounts.issue_token(session, actor, user, "initial", now)
    session.commit()
    return jsonify({**user_json(user), "token": _issued(issued)}), 201


@bp.put("/users/<name>/role")
@operation(
    "setUserRole",
    "accounts",
    "Set or clear a user's foundation role (foundation admin only)",
    ok("the user", "User"),
    auth=REQUIRED,
    errors=(403, 409),
    body="RoleChange",
    path=USER_NAME,
    description="409 last-admin when this would leave no foundation admin.",
)
def set_role(name: str) -> Response:
    actor = current_actor()
    actor.require_admin()
    body = json_body("RoleChange")
    session = get_session()
    user = accounts.set_role(session, actor, accounts.user_named(session, name), body["role"], datetime.now(UTC))
    session.commit()
    return jsonify(user_json(user))


@bp.get("/tokens")
@operation(
    "listTokens",
    "accounts",
    "The caller's own API tokens (never their secrets)",
    paginated("one page of tokens", "Token"),
    auth=REQUIRED,
)
def list_tokens() -> Response:
    user = current_actor().require_user()
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    return page(get_session(), query, [ApiToken.created_at, ApiToken.id], token_json)


@bp.post("/tokens")
@operation(
    "createToken",
    "accounts",
    "Issue an API token to the caller",
    created("the token, with its secret shown once", "IssuedToken"),
    auth=REQUIRED,
    body="NewToken",
)
def create_token() -> tuple[Response, int]:
    actor = current_actor()
    user = actor.require_user()
    body = json_body("NewToken")
    expires = parse_time(body["expires_at"], "$.expires_at") if "expires_at" in body else None
    session = get_session()
    issued = accounts.issue_token(session, actor, user, body["label"], datetime.now(UTC), expires)
    session.commit()
    return jsonify(_issued(issued)), 201


@bp.delete("/tokens/<token_id>")
@operation(
    "revokeToken",
    "accounts",
    "Revoke one of the caller's own tokens",
    no_content("revoked (the token stays listed, with revoked_at)"),
    auth=REQUIRED,
)
def revoke_token(token_id: str) -> tuple[str, int]:
    """Revokes the token; the row stays (revoked_at set) for GET /v2/tokens and the audit trail."""
    session = get_session()
    accounts.revoke_token(session, current_actor(), token_id, datetime.now(UTC))
    session.commit()
    return "", 204
