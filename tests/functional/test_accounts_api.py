"""Users, foundation roles and API tokens over /v2, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from refstack_lite.db import get_session
from refstack_lite.models import ApiToken
from refstack_lite.services import accounts
from tests.functional.api_helpers import (
    TIME_SLUG,
    assert_problem,
    cursor_of,
    new_vendor,
    ok,
    parse_iso,
    refused,
    snapshot,
    unchanged,
    walk,
)
from tests.identity import CONSOLE, bearer, make_user


def token_ids(client: FlaskClient, token: str) -> list[str]:
    return [t["id"] for t in ok(client.get("/v2/tokens", headers=bearer(token)))["items"]]


# --- /v2/users/me and creating users ---------------------------------------------------------------


def test_me_shows_the_caller(client: FlaskClient, alice: str) -> None:
    body = ok(client.get("/v2/users/me", headers=bearer(alice)))
    assert body["name"] == "alice"
    assert body["email"] == "alice@example.org"
    assert body["role"] is None
    assert body["vendors"] == []
    assert abs(parse_iso(body["created_at"]) - datetime.now(UTC)) < timedelta(minutes=5)


def test_me_lists_vendors_with_role_and_acceptance(client: FlaskClient, alice: str, bob: str) -> None:
    vid = new_vendor(client, alice, "Acme")
    ok(client.post(f"/v2/vendors/{vid}/members", json={"user": "bob"}, headers=bearer(alice)), 201)
    mine = ok(client.get("/v2/users/me", headers=bearer(alice)))["vendors"]
    assert mine == [
        {"id": vid, "name": "Acme", "status": "private", "role": "owner", "accepted": True, "url": f"/v2/vendors/{vid}"}
    ]
    theirs = ok(client.get("/v2/users/me", headers=bearer(bob)))["vendors"]
    assert [(v["id"], v["role"], v["accepted"]) for v in theirs] == [(vid, "member", False)]


def test_me_without_a_token_is_401(app: Flask, client: FlaskClient) -> None:
    refused(app, client, "GET", "/v2/users/me", 401, "unauthenticated")


def test_admin_creates_a_user_whose_token_is_shown_once_and_works(app: Flask, client: FlaskClient, root: str) -> None:
    created = ok(
        client.post("/v2/users", json={"name": "carol", "email": "carol@example.org"}, headers=bearer(root)), 201
    )
    assert {k: created[k] for k in ("name", "email", "role")} == {
        "name": "carol",
        "email": "carol@example.org",
        "role": None,
    }
    issued = created["token"]
    secret = issued["token"]
    assert secret.startswith("rlt_")
    assert len(secret) >= 40
    assert issued["label"] == "initial"
    assert secret.startswith(issued["prefix"])
    assert issued["expires_at"] is None
    assert issued["revoked_at"] is None

    me = ok(client.get("/v2/users/me", headers=bearer(secret)))
    assert me["name"] == "carol"
    listed = ok(client.get("/v2/tokens", headers=bearer(secret)))["items"]
    assert [t["id"] for t in listed] == [issued["id"]]
    assert "token" not in listed[0]
    # The secret is never shown again, stored nowhere, and written to no audit event.
    for url, token in (("/v2/tokens", secret), ("/v2/users/me", secret), ("/v2/users", root), ("/v2/audit", root)):
        assert secret not in client.get(url, headers=bearer(token)).get_data(as_text=True)
    assert secret not in repr(snapshot(app))


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_admin_creates_a_user_with_a_foundation_role(client: FlaskClient, root: str, role: str) -> None:
    body = {"name": "dave", "email": "dave@example.org", "role": role}
    secret = ok(client.post("/v2/users", json=body, headers=bearer(root)), 201)["token"]["token"]
    assert ok(client.get("/v2/users/me", headers=bearer(secret)))["role"] == role


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({"name": "Bob", "email": "bob@example.org"}, "invalid-input"),
        ({"name": "-bob", "email": "bob@example.org"}, "invalid-input"),
        ({"name": "bob smith", "email": "bob@example.org"}, "invalid-input"),
        ({"name": "bob/../x", "email": "bob@example.org"}, "invalid-input"),
        ({"name": "bøb", "email": "bob@example.org"}, "invalid-input"),
        ({"name": "", "email": "bob@example.org"}, "schema-violation"),
        ({"name": "b" * 65, "email": "bob@example.org"}, "schema-violation"),
        ({"name": "bob", "email": "not-an-email"}, "invalid-input"),
        ({"name": "bob", "email": "bob@localhost"}, "invalid-input"),
        ({"name": "bob", "email": "bob smith@example.org"}, "invalid-input"),
        ({"name": "bob", "email": "bob@@example.org"}, "invalid-input"),
        # Valid JSON, unusable text: a NUL byte (PostgreSQL cannot even store it).
        ({"name": "bob", "email": "bob@exam\x00ple.org"}, "schema-violation"),
        ({"name": "bob", "email": "ab"}, "schema-violation"),
        ({"name": "bob", "email": "b" * 250 + "@x.org"}, "schema-violation"),
        ({"name": "bob"}, "schema-violation"),
        ({"email": "bob@example.org"}, "schema-violation"),
        ({"name": "bob", "email": "bob@example.org", "role": "root"}, "schema-violation"),
        ({"name": "bob", "email": "bob@example.org", "token": "rlt_mine"}, "schema-violation"),
        ({"name": 7, "email": "bob@example.org"}, "schema-violation"),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, dict) else v,
)
def test_bad_new_users_are_refused(app: Flask, client: FlaskClient, root: str, body: dict[str, Any], slug: str) -> None:
    refused(app, client, "POST", "/v2/users", 400, slug, json=body, headers=bearer(root))


def test_schema_violations_are_all_listed(app: Flask, client: FlaskClient, root: str) -> None:
    body = {"name": 7, "email": None, "role": "root", "extra": True}
    problems = refused(app, client, "POST", "/v2/users", 400, "schema-violation", json=body, headers=bearer(root))[
        "problems"
    ]
    paths = sorted(p["path"] for p in problems)
    assert paths == ["$", "$.email", "$.name", "$.role"]
    assert all(p["message"] for p in problems)


def test_duplicate_user_is_409(app: Flask, client: FlaskClient, root: str, alice: str) -> None:
    body = {"name": "alice", "email": "other@example.org"}
    refused(app, client, "POST", "/v2/users", 409, "user-exists", json=body, headers=bearer(root))


# --- tokens -----------------------------------------------------------------------------------------


def test_listing_tokens_never_shows_a_secret(app: Flask, client: FlaskClient, alice: str) -> None:
    secrets = [alice]
    for label in ("ci", "laptop"):
        secrets.append(ok(client.post("/v2/tokens", json={"label": label}, headers=bearer(alice)), 201)["token"])
    response = client.get("/v2/tokens", headers=bearer(alice))
    items = ok(response)["items"]
    assert sorted(t["label"] for t in items) == ["ci", "laptop", "tests"]
    for item in items:
        assert set(item) == {"id", "label", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"}
    text = response.get_data(as_text=True)
    for secret in secrets:
        assert secret not in text
        assert secret[len(accounts.TOKEN_PREFIX) :] not in text


def test_the_database_keeps_no_secret(app: Flask, client: FlaskClient, alice: str) -> None:
    secret = ok(client.post("/v2/tokens", json={"label": "ci"}, headers=bearer(alice)), 201)["token"]
    with app.app_context():
        rows = list(get_session().scalars(select(ApiToken)))
    assert len(rows) == 2
    random_part = secret[len(accounts.TOKEN_PREFIX) :]
    for row in rows:
        for column in ApiToken.__table__.columns:
            value = str(getattr(row, column.key))
            assert secret not in value
            assert random_part not in value
    # The hash is of the secret, so a leaked table does not leak tokens.
    assert hashlib.sha256(secret.encode()).hexdigest() in {r.secret_hash for r in rows}


def test_a_new_token_with_an_expiry(client: FlaskClient, alice: str) -> None:
    body = {"label": "ci", "expires_at": "2099-01-01T12:00:00+02:00"}
    issued = ok(client.post("/v2/tokens", json=body, headers=bearer(alice)), 201)
    assert issued["expires_at"] == "2099-01-01T10:00:00Z"
    assert issued["label"] == "ci"
    assert issued["last_used_at"] is None
    assert ok(client.get("/v2/users/me", headers=bearer(issued["token"])))["name"] == "alice"
    listed = {t["id"]: t for t in ok(client.get("/v2/tokens", headers=bearer(alice)))["items"]}
    assert listed[issued["id"]]["expires_at"] == "2099-01-01T10:00:00Z"


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({"label": "ci", "expires_at": "2001-01-01T00:00:00Z"}, "invalid-input"),
        ({"label": "ci", "expires_at": "2099-01-01T00:00:00"}, TIME_SLUG),
        ({"label": "ci", "expires_at": "tomorrow"}, TIME_SLUG),
        ({"label": "ci", "expires_at": "2099-01-01"}, TIME_SLUG),
        ({"label": "ci", "expires_at": 1}, "schema-violation"),
        ({"label": ""}, "schema-violation"),
        ({"label": "x" * 101}, "schema-violation"),
        ({}, "schema-violation"),
        ({"label": "ci", "user": "bob"}, "schema-violation"),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, dict) else v,
)
def test_bad_new_tokens_are_refused(
    app: Flask, client: FlaskClient, alice: str, body: dict[str, Any], slug: str
) -> None:
    refused(app, client, "POST", "/v2/tokens", 400, slug, json=body, headers=bearer(alice))


def test_a_token_stops_working_when_it_expires(app: Flask, client: FlaskClient, alice: str) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=1.5)).isoformat()
    secret = ok(client.post("/v2/tokens", json={"label": "brief", "expires_at": soon}, headers=bearer(alice)), 201)[
        "token"
    ]
    assert ok(client.get("/v2/users/me", headers=bearer(secret)))["name"] == "alice"
    time.sleep(max(0.0, (datetime.fromisoformat(soon) - datetime.now(UTC)).total_seconds()) + 0.1)
    body = refused(app, client, "GET", "/v2/users/me", 401, "invalid-token", headers=bearer(secret))
    assert "expired" in body["detail"]


@pytest.fixture
def expired(app: Flask, alice: str) -> str:
    """A token of alice that expired an hour ago (issued through the service, in the past)."""
    with app.app_context():
        session = get_session()
        past = datetime.now(UTC) - timedelta(hours=2)
        issued = accounts.issue_token(
            session, CONSOLE, accounts.user_named(session, "alice"), "old", past, past + timedelta(hours=1)
        )
        session.commit()
        return issued.secret


@pytest.fixture
def revoked(client: FlaskClient, alice: str) -> str:
    issued = ok(client.post("/v2/tokens", json={"label": "gone"}, headers=bearer(alice)), 201)
    assert client.delete(f"/v2/tokens/{issued['id']}", headers=bearer(alice)).status_code == 204
    return str(issued["token"])


@pytest.mark.parametrize(("kind", "detail"), [("unknown", "not known"), ("expired", "expired"), ("revoked", "revoked")])
@pytest.mark.parametrize(("method", "url"), [("GET", "/v2/users/me"), ("GET", "/v2/vendors"), ("POST", "/v2/tokens")])
def test_bad_tokens_are_401(
    app: Flask,
    client: FlaskClient,
    request: pytest.FixtureRequest,
    alice: str,
    kind: str,
    detail: str,
    method: str,
    url: str,
) -> None:
    secret = "rlt_" + "x" * 43 if kind == "unknown" else request.getfixturevalue(kind)
    body = refused(app, client, method, url, 401, "invalid-token", headers=bearer(secret), json={"label": "x"})
    assert detail in body["detail"]


@pytest.mark.parametrize(
    "header",
    ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer ", "Bearer    ", "Token rlt_abc", "", "rlt_abc", "Bearer\trlt_abc"],
)
@pytest.mark.parametrize("url", ["/v2/users/me", "/v2/vendors"])
def test_malformed_authorization_is_401(app: Flask, client: FlaskClient, alice: str, header: str, url: str) -> None:
    refused(app, client, "GET", url, 401, "invalid-token", headers={"Authorization": header})


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(client: FlaskClient, alice: str, scheme: str) -> None:
    assert ok(client.get("/v2/users/me", headers={"Authorization": f"{scheme} {alice}"}))["name"] == "alice"


def test_last_used_at_is_set_on_use(client: FlaskClient, alice: str) -> None:
    issued = ok(client.post("/v2/tokens", json={"label": "ci"}, headers=bearer(alice)), 201)

    def listed() -> dict[str, Any]:
        return dict({t["id"]: t for t in ok(client.get("/v2/tokens", headers=bearer(alice)))["items"]}[issued["id"]])

    assert listed()["last_used_at"] is None
    start = datetime.now(UTC).replace(microsecond=0)
    ok(client.get("/v2/users/me", headers=bearer(issued["token"])))
    used = parse_iso(listed()["last_used_at"])
    assert start <= used <= datetime.now(UTC)


def test_last_used_at_is_kept_when_the_request_is_refused(app: Flask, client: FlaskClient, alice: str) -> None:
    """A good token used for a refused request was still used."""
    issued = ok(client.post("/v2/tokens", json={"label": "ci"}, headers=bearer(alice)), 201)
    assert_problem(client.post("/v2/tokens", json={}, headers=bearer(issued["token"])), 400, "schema-violation")
    with app.app_context():
        assert get_session().get(ApiToken, issued["id"]).last_used_at is not None  # type: ignore[union-attr]


def test_revoking_an_own_token(app: Flask, client: FlaskClient, alice: str) -> None:
    issued = ok(client.post("/v2/tokens", json={"label": "ci"}, headers=bearer(alice)), 201)
    start = datetime.now(UTC).replace(microsecond=0)
    response = client.delete(f"/v2/tokens/{issued['id']}", headers=bearer(issued["token"]))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_problem(client.get("/v2/users/me", headers=bearer(issued["token"])), 401, "invalid-token")

    def listed() -> dict[str, Any]:
        return dict({t["id"]: t for t in ok(client.get("/v2/tokens", headers=bearer(alice)))["items"]}[issued["id"]])

    revoked_at = listed()["revoked_at"]
    assert start <= parse_iso(revoked_at) <= datetime.now(UTC)
    # Revoking again changes nothing and keeps the first time.
    with unchanged(app):
        assert client.delete(f"/v2/tokens/{issued['id']}", headers=bearer(alice)).status_code == 204
    assert listed()["revoked_at"] == revoked_at
    assert ok(client.get("/v2/users/me", headers=bearer(alice)))["name"] == "alice"


@pytest.mark.parametrize("who", ["alice", "root"])
def test_revoking_someone_elses_token_is_404(
    app: Flask, client: FlaskClient, root: str, alice: str, bob: str, who: str
) -> None:
    (bobs,) = token_ids(client, bob)
    caller = {"alice": alice, "root": root}[who]
    refused(app, client, "DELETE", f"/v2/tokens/{bobs}", 404, "not-found", headers=bearer(caller))
    refused(app, client, "DELETE", "/v2/tokens/no-such-token", 404, "not-found", headers=bearer(caller))
    assert ok(client.get("/v2/users/me", headers=bearer(bob)))["name"] == "bob"


# --- foundation roles -------------------------------------------------------------------------------


def test_admin_grants_and_revokes_roles(client: FlaskClient, root: str, bob: str) -> None:
    for role in ("reviewer", "admin", None):
        body = ok(client.put("/v2/users/bob/role", json={"role": role}, headers=bearer(root)))
        assert (body["name"], body["role"]) == ("bob", role)
        assert ok(client.get("/v2/users/me", headers=bearer(bob)))["role"] == role


def test_granting_the_same_role_again_changes_nothing(app: Flask, client: FlaskClient, root: str, bob: str) -> None:
    ok(client.put("/v2/users/bob/role", json={"role": "reviewer"}, headers=bearer(root)))
    with unchanged(app):
        assert ok(client.put("/v2/users/bob/role", json={"role": "reviewer"}, headers=bearer(root)))["role"] == (
            "reviewer"
        )


@pytest.mark.parametrize("role", [None, "reviewer"])
def test_the_last_admin_cannot_be_demoted(app: Flask, client: FlaskClient, root: str, role: str | None) -> None:
    refused(app, client, "PUT", "/v2/users/root/role", 409, "last-admin", json={"role": role}, headers=bearer(root))
    assert ok(client.get("/v2/users/me", headers=bearer(root)))["role"] == "admin"


def test_an_admin_can_step_down_when_another_remains(client: FlaskClient, root: str, bob: str) -> None:
    ok(client.put("/v2/users/bob/role", json={"role": "admin"}, headers=bearer(root)))
    assert ok(client.put("/v2/users/root/role", json={"role": None}, headers=bearer(root)))["role"] is None
    refused_body = client.put("/v2/users/bob/role", json={"role": None}, headers=bearer(bob))
    assert_problem(refused_body, 409, "last-admin")


@pytest.mark.parametrize(
    ("body", "slug"),
    [({"role": "root"}, "schema-violation"), ({}, "schema-violation"), ({"role": "admin", "x": 1}, "schema-violation")],
)
def test_bad_role_changes_are_400(
    app: Flask, client: FlaskClient, root: str, bob: str, body: dict[str, Any], slug: str
) -> None:
    refused(app, client, "PUT", "/v2/users/bob/role", 400, slug, json=body, headers=bearer(root))


def test_role_of_an_unknown_user_is_404(app: Flask, client: FlaskClient, root: str) -> None:
    refused(app, client, "PUT", "/v2/users/nobody/role", 404, "not-found", json={"role": None}, headers=bearer(root))


# --- pagination -------------------------------------------------------------------------------------


def test_users_pagination_walks_every_user_once(app: Flask, client: FlaskClient, root: str) -> None:
    names = ["root", *(f"user{i}" for i in range(6))]
    for name in names[1:]:
        make_user(app, name)
    pages = walk(client, "/v2/users?limit=2", bearer(root))
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert [u["name"] for p in pages for u in p] == sorted(names)


def test_tokens_pagination_walks_every_token_once(client: FlaskClient, alice: str) -> None:
    made = [ok(client.post("/v2/tokens", json={"label": f"t{i}"}, headers=bearer(alice)), 201)["id"] for i in range(4)]
    pages = walk(client, "/v2/tokens?limit=2", bearer(alice))
    assert [len(p) for p in pages] == [2, 2, 1]
    ids = [t["id"] for p in pages for t in p]
    assert len(ids) == len(set(ids)) == 5
    assert set(made) <= set(ids)


def test_a_full_page_without_more_has_no_next(client: FlaskClient, alice: str) -> None:
    ok(client.post("/v2/tokens", json={"label": "t"}, headers=bearer(alice)), 201)
    assert [len(p) for p in walk(client, "/v2/tokens?limit=2", bearer(alice))] == [2]


@pytest.mark.parametrize(
    "limit", ["0", "201", "500", "abc", "-1", "", "1.5", "\u0661"]
)  # the last: an Arabic-Indic digit one
@pytest.mark.parametrize("url", ["/v2/users", "/v2/tokens"])
def test_bad_limit_is_400(app: Flask, client: FlaskClient, root: str, url: str, limit: str) -> None:
    slug = "empty-parameter" if limit == "" else "invalid-input"
    body = refused(app, client, "GET", f"{url}?limit={limit}", 400, slug, headers=bearer(root))
    assert body["problems"][0]["path"] == "$.limit"


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "%00",
        cursor_of({"a": 1}),
        cursor_of([]),
        cursor_of(["2026-01-01T00:00:00+00:00"]),
        cursor_of(["not a time", "x"]),
        cursor_of([None, None]),
        cursor_of([1, "x"]),
        # Well formed but naive: the server only gives out aware times.
        cursor_of(["2026-01-01T00:00:00", "x"]),
    ],
)
def test_bad_token_cursor_is_400(app: Flask, client: FlaskClient, alice: str, cursor: str) -> None:
    body = refused(app, client, "GET", f"/v2/tokens?cursor={cursor}", 400, "invalid-input", headers=bearer(alice))
    assert body["problems"][0]["path"] == "$.cursor"


@pytest.mark.parametrize("cursor", ["garbage!!", cursor_of([]), cursor_of(["a", "b"]), cursor_of("root")])
def test_bad_user_cursor_is_400(app: Flask, client: FlaskClient, root: str, cursor: str) -> None:
    refused(app, client, "GET", f"/v2/users?cursor={cursor}", 400, "invalid-input", headers=bearer(root))
