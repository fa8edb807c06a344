"""Vendors over /v2/vendors: lifecycle, renaming, members and invitations, deletion, and request
bodies that are refused, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import (
    add_member,
    assert_problem,
    make_official,
    new_product,
    new_vendor,
    ok,
    refused,
    table_counts,
    unchanged,
    walk,
)
from tests.identity import bearer, make_user


@pytest.fixture
def acme(client: FlaskClient, alice: str) -> str:
    """A private vendor owned by alice, described (unlike the shared ``acme``): renaming keeps it."""
    return new_vendor(client, alice, "Acme", "clouds")


def vendor(client: FlaskClient, token: str | None, vendor_id: str) -> dict[str, Any]:
    return dict(ok(client.get(f"/v2/vendors/{vendor_id}", headers=bearer(token) if token else None)))


def members(client: FlaskClient, token: str, vendor_id: str) -> dict[str, tuple[str, str]]:
    items = ok(client.get(f"/v2/vendors/{vendor_id}/members", headers=bearer(token)))["items"]
    return {m["user"]: (m["role"], m["status"]) for m in items}


# --- creating ---------------------------------------------------------------------------------------


def test_the_creator_owns_a_new_private_vendor(app: Flask, client: FlaskClient, alice: str) -> None:
    response = client.post("/v2/vendors", json={"name": "  Acme  ", "description": "clouds"}, headers=bearer(alice))
    body = ok(response, 201)
    assert body["name"] == "Acme"
    assert body["description"] == "clouds"
    assert body["status"] == "private"
    assert body["your_role"] == "owner"
    assert body["denial_reason"] is None
    assert body["url"] == f"/v2/vendors/{body['id']}"
    assert members(client, alice, body["id"]) == {"alice": ("owner", "member")}
    assert vendor(client, alice, body["id"]) == body


@pytest.mark.parametrize("name", ["Acme", "ACME", "acme", " aCmE "])
@pytest.mark.parametrize("who", ["alice", "bob"])
def test_a_duplicate_name_in_any_case_is_409(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, name: str, who: str
) -> None:
    token = {"alice": alice, "bob": bob}[who]
    refused(app, client, "POST", "/v2/vendors", 409, "vendor-exists", json={"name": name}, headers=bearer(token))


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({"name": ""}, "schema-violation"),
        ({"name": "   "}, "invalid-input"),
        ({"name": "x" * 201}, "schema-violation"),
        ({"name": None}, "schema-violation"),
        ({"description": "no name"}, "schema-violation"),
        ({"name": "Acme", "status": "official"}, "schema-violation"),
        ({"name": "Acme", "description": "x" * 10_001}, "schema-violation"),
        # Text no database or person can use: a NUL byte and a lone UTF-16 surrogate.
        ({"name": "Ac\x00me"}, "schema-violation"),
        ('{"name": "Acme \\ud800"}', "schema-violation"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_bad_new_vendors_are_400(app: Flask, client: FlaskClient, alice: str, body: Any, slug: str) -> None:
    kwargs: dict[str, Any] = (
        {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body}
    )
    refused(app, client, "POST", "/v2/vendors", 400, slug, headers=bearer(alice), **kwargs)


def test_vendor_list_pagination(client: FlaskClient, alice: str) -> None:
    ids = {new_vendor(client, alice, f"Vendor {i}") for i in range(5)}
    pages = walk(client, "/v2/vendors?limit=2", bearer(alice))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(v["id"] for p in pages for v in p) == sorted(ids)
    assert [v["name"] for p in pages for v in p] == [f"Vendor {i}" for i in range(5)]


# --- lifecycle --------------------------------------------------------------------------------------


def test_private_pending_official(client: FlaskClient, alice: str, root: str, acme: str) -> None:
    assert_problem(client.get(f"/v2/vendors/{acme}"), 404, "not-found")
    assert ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(alice)))["status"] == "pending"
    assert ok(client.post(f"/v2/vendors/{acme}/approve", headers=bearer(root)))["status"] == "official"
    public = vendor(client, None, acme)
    assert public["status"] == "official"
    assert "denial_reason" not in public
    assert "your_role" not in public
    assert [v["id"] for v in ok(client.get("/v2/vendors"))["items"]] == [acme]


def test_a_pending_vendor_can_be_withdrawn(client: FlaskClient, alice: str, acme: str) -> None:
    ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(alice)))
    assert ok(client.post(f"/v2/vendors/{acme}/withdraw", headers=bearer(alice)))["status"] == "private"
    assert vendor(client, alice, acme)["status"] == "private"


def test_a_denial_keeps_its_reason_for_the_members(
    client: FlaskClient, app: Flask, alice: str, bob: str, root: str, acme: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(bob)))
    denied = ok(client.post(f"/v2/vendors/{acme}/deny", json={"reason": "no trademark licence"}, headers=bearer(root)))
    assert denied["status"] == "private"
    for token in (alice, bob, root):
        seen = vendor(client, token, acme)
        assert (seen["status"], seen["denial_reason"]) == ("private", "no trademark licence")
    carol = make_user(app, "carol")
    assert_problem(client.get(f"/v2/vendors/{acme}", headers=bearer(carol)), 404, "not-found")
    # Applying again keeps the reason until the foundation decides; approval clears it.
    assert ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(alice)))["denial_reason"] == (
        "no trademark licence"
    )
    approved = ok(client.post(f"/v2/vendors/{acme}/approve", headers=bearer(root)))
    assert (approved["status"], approved["denial_reason"]) == ("official", None)


@pytest.mark.parametrize(
    ("body", "slug"),
    [({}, "schema-violation"), ({"reason": ""}, "schema-violation"), ({"reason": "   "}, "invalid-input")],
)
def test_a_denial_needs_a_reason(
    app: Flask, client: FlaskClient, alice: str, root: str, acme: str, body: dict[str, Any], slug: str
) -> None:
    ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(alice)))
    refused(app, client, "POST", f"/v2/vendors/{acme}/deny", 400, slug, json=body, headers=bearer(root))
    assert vendor(client, alice, acme)["status"] == "pending"


@pytest.mark.parametrize(
    ("status", "action", "who"),
    [
        ("private", "approve", "root"),
        ("private", "deny", "root"),
        ("private", "withdraw", "alice"),
        ("pending", "apply", "alice"),
        ("official", "apply", "alice"),
        ("official", "withdraw", "alice"),
        ("official", "approve", "root"),
        ("official", "deny", "root"),
    ],
)
def test_a_lifecycle_step_from_the_wrong_status_is_409(
    app: Flask, client: FlaskClient, alice: str, root: str, acme: str, status: str, action: str, who: str
) -> None:
    if status != "private":
        ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(alice)))
    if status == "official":
        ok(client.post(f"/v2/vendors/{acme}/approve", headers=bearer(root)))
    token = {"alice": alice, "root": root}[who]
    body = refused(
        app,
        client,
        "POST",
        f"/v2/vendors/{acme}/{action}",
        409,
        "vendor-status",
        json={"reason": "because"},
        headers=bearer(token),
    )
    assert body["status"] == 409
    assert body["current_status"] == status
    assert status in body["detail"]
    assert vendor(client, alice, acme)["status"] == status


# --- changing ---------------------------------------------------------------------------------------


def test_the_owner_renames_a_private_vendor(client: FlaskClient, alice: str, acme: str) -> None:
    body = ok(client.patch(f"/v2/vendors/{acme}", json={"name": "Acme Clouds"}, headers=bearer(alice)))
    assert body["name"] == "Acme Clouds"
    assert body["description"] == "clouds"
    assert vendor(client, alice, acme)["name"] == "Acme Clouds"


def test_renaming_an_official_vendor_is_for_the_foundation(
    app: Flask, client: FlaskClient, alice: str, root: str, acme: str
) -> None:
    make_official(client, alice, root, acme)
    refused(
        app,
        client,
        "PATCH",
        f"/v2/vendors/{acme}",
        403,
        "official-name",
        json={"name": "Acme Two", "description": "new"},
        headers=bearer(alice),
    )
    # The owner still edits the description, and may send the name unchanged.
    body = ok(client.patch(f"/v2/vendors/{acme}", json={"name": "Acme", "description": "new"}, headers=bearer(alice)))
    assert (body["name"], body["description"]) == ("Acme", "new")
    assert ok(client.patch(f"/v2/vendors/{acme}", json={"name": "Acme Two"}, headers=bearer(root)))["name"] == (
        "Acme Two"
    )
    assert vendor(client, None, acme)["name"] == "Acme Two"


@pytest.mark.parametrize("name", ["Globex", "GLOBEX", " globex "])
def test_renaming_onto_another_vendors_name_is_409(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, name: str
) -> None:
    new_vendor(client, bob, "Globex")
    refused(
        app, client, "PATCH", f"/v2/vendors/{acme}", 409, "vendor-exists", json={"name": name}, headers=bearer(alice)
    )


def test_changing_only_the_case_of_the_own_name(client: FlaskClient, alice: str, acme: str) -> None:
    assert ok(client.patch(f"/v2/vendors/{acme}", json={"name": "ACME"}, headers=bearer(alice)))["name"] == "ACME"


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({}, "schema-violation"),
        ({"name": ""}, "schema-violation"),
        ({"name": "  "}, "invalid-input"),
        ({"status": "official"}, "schema-violation"),
        ({"name": 1, "description": 2}, "schema-violation"),
    ],
    ids=repr,
)
def test_bad_vendor_changes_are_400(
    app: Flask, client: FlaskClient, alice: str, acme: str, body: dict[str, Any], slug: str
) -> None:
    refused(app, client, "PATCH", f"/v2/vendors/{acme}", 400, slug, json=body, headers=bearer(alice))


# --- members and invitations ------------------------------------------------------------------------


def test_an_invitation_grants_nothing_until_accepted(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    invited = ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "bob"}, headers=bearer(alice)), 201)
    assert (invited["user"], invited["role"], invited["status"], invited["accepted_at"]) == (
        "bob",
        "member",
        "invited",
        None,
    )
    # the invitee sees the invitation, and nothing of the private vendor beyond it
    mine = ok(client.get("/v2/users/me", headers=bearer(bob)))["vendors"]
    assert mine == [
        {
            "id": acme,
            "name": "Acme",
            "status": "private",
            "role": "member",
            "accepted": False,
            "url": f"/v2/vendors/{acme}/invitation",
        }
    ]
    assert ok(client.get("/v2/vendors", headers=bearer(bob)))["items"] == []
    product = {"name": "Cloud", "product_type": "public_cloud"}
    for method, path, body in (
        ("GET", "", None),
        ("GET", "/members", None),
        ("GET", "/products", None),
        ("GET", "/keys", None),
        ("POST", "/products", product),
        ("POST", "/apply", None),
        ("PATCH", "", {"description": "mine now"}),
        ("DELETE", "/members/alice", None),
    ):
        refused(app, client, method, f"/v2/vendors/{acme}{path}", 404, "not-found", json=body, headers=bearer(bob))

    accepted = ok(client.post(f"/v2/vendors/{acme}/invitation", headers=bearer(bob)))
    assert (accepted["status"], accepted["role"]) == ("member", "member")
    assert accepted["accepted_at"] is not None
    assert [v["accepted"] for v in ok(client.get("/v2/users/me", headers=bearer(bob)))["vendors"]] == [True]
    assert vendor(client, bob, acme)["your_role"] == "member"
    assert ok(client.post(f"/v2/vendors/{acme}/products", json=product, headers=bearer(bob)), 201)["name"] == "Cloud"
    assert members(client, bob, acme) == {"alice": ("owner", "member"), "bob": ("member", "member")}


def test_an_invitee_to_an_official_vendor_sees_what_everyone_sees(
    app: Flask, client: FlaskClient, alice: str, bob: str, root: str, acme: str
) -> None:
    make_official(client, alice, root, acme)
    ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "bob"}, headers=bearer(alice)), 201)
    assert vendor(client, bob, acme) == vendor(client, None, acme)  # no your_role, no dates
    assert [v["id"] for v in ok(client.get("/v2/vendors", headers=bearer(bob)))["items"]] == [acme]
    refused(app, client, "GET", f"/v2/vendors/{acme}/members", 403, "forbidden", headers=bearer(bob))
    product = {"name": "Cloud", "product_type": "public_cloud"}
    refused(app, client, "POST", f"/v2/vendors/{acme}/products", 403, "forbidden", json=product, headers=bearer(bob))
    assert ok(client.post(f"/v2/vendors/{acme}/invitation", headers=bearer(bob)))["status"] == "member"
    assert vendor(client, bob, acme)["your_role"] == "member"


def test_accepting_twice_changes_nothing(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    with unchanged(app):
        assert ok(client.post(f"/v2/vendors/{acme}/invitation", headers=bearer(bob)))["status"] == "member"


def test_accepting_without_an_invitation(app: Flask, client: FlaskClient, alice: str, bob: str, root: str) -> None:
    acme = new_vendor(client, alice, "Acme")
    # Not visible at all while private; visible but still not invited once official.
    refused(app, client, "POST", f"/v2/vendors/{acme}/invitation", 404, "not-found", headers=bearer(bob))
    make_official(client, alice, root, acme)
    refused(app, client, "POST", f"/v2/vendors/{acme}/invitation", 404, "not-found", headers=bearer(bob))


def test_a_member_cannot_invite(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    make_user(app, "carol")
    refused(
        app,
        client,
        "POST",
        f"/v2/vendors/{acme}/members",
        403,
        "forbidden",
        json={"user": "carol"},
        headers=bearer(bob),
    )


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"user": "alice"}, 409, "already-member"),
        ({"user": "bob"}, 409, "already-member"),
        ({"user": "nobody"}, 404, "not-found"),
        ({"user": "carol", "role": "admin"}, 400, "schema-violation"),
        ({"user": ""}, 400, "schema-violation"),
        ({"role": "member"}, 400, "schema-violation"),
    ],
    ids=repr,
)
def test_bad_invitations(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, body: dict[str, Any], status: int, slug: str
) -> None:
    ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "bob"}, headers=bearer(alice)), 201)
    make_user(app, "carol")
    refused(app, client, "POST", f"/v2/vendors/{acme}/members", status, slug, json=body, headers=bearer(alice))


def test_an_owner_promotes_a_member(client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    body = ok(client.patch(f"/v2/vendors/{acme}/members/bob", json={"role": "owner"}, headers=bearer(alice)))
    assert (body["user"], body["role"], body["status"]) == ("bob", "owner", "member")
    # Now there are two owners, alice may step down.
    ok(client.patch(f"/v2/vendors/{acme}/members/alice", json={"role": "member"}, headers=bearer(alice)))
    assert members(client, bob, acme) == {"alice": ("member", "member"), "bob": ("owner", "member")}


@pytest.mark.parametrize("who", ["alice", "root"])
@pytest.mark.parametrize("how", ["leave", "demote"])
def test_the_last_owner_stays(
    app: Flask, client: FlaskClient, alice: str, bob: str, root: str, acme: str, who: str, how: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    # An owner invitation not yet accepted does not count as an owner.
    make_user(app, "carol")
    ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "carol", "role": "owner"}, headers=bearer(alice)), 201)
    token = {"alice": alice, "root": root}[who]
    if how == "leave":
        refused(app, client, "DELETE", f"/v2/vendors/{acme}/members/alice", 409, "last-owner", headers=bearer(token))
    else:
        refused(
            app,
            client,
            "PATCH",
            f"/v2/vendors/{acme}/members/alice",
            409,
            "last-owner",
            json={"role": "member"},
            headers=bearer(token),
        )


def test_a_member_can_leave(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    response = client.delete(f"/v2/vendors/{acme}/members/bob", headers=bearer(bob))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert members(client, alice, acme) == {"alice": ("owner", "member")}
    assert ok(client.get("/v2/users/me", headers=bearer(bob)))["vendors"] == []
    assert_problem(client.get(f"/v2/vendors/{acme}", headers=bearer(bob)), 404, "not-found")


def test_an_invitee_can_decline(client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "bob"}, headers=bearer(alice)), 201)
    assert client.delete(f"/v2/vendors/{acme}/members/bob", headers=bearer(bob)).status_code == 204
    assert members(client, alice, acme) == {"alice": ("owner", "member")}


def test_an_owner_removes_a_member(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    assert client.delete(f"/v2/vendors/{acme}/members/bob", headers=bearer(alice)).status_code == 204
    refused(app, client, "DELETE", f"/v2/vendors/{acme}/members/bob", 404, "not-found", headers=bearer(alice))
    refused(app, client, "DELETE", f"/v2/vendors/{acme}/members/nobody", 404, "not-found", headers=bearer(alice))


@pytest.mark.parametrize("body", [{"role": "admin"}, {}, {"role": None}, {"role": "owner", "x": 1}], ids=repr)
def test_bad_member_changes_are_400(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, body: dict[str, Any]
) -> None:
    add_member(client, alice, acme, "bob", bob)
    refused(
        app,
        client,
        "PATCH",
        f"/v2/vendors/{acme}/members/bob",
        400,
        "schema-violation",
        json=body,
        headers=bearer(alice),
    )


# --- deleting ---------------------------------------------------------------------------------------


def test_a_vendor_with_products_cannot_be_deleted(
    app: Flask, client: FlaskClient, alice: str, root: str, acme: str
) -> None:
    new_product(client, alice, acme, "Cloud")
    for token in (alice, root):
        body = refused(app, client, "DELETE", f"/v2/vendors/{acme}", 409, "in-use", headers=bearer(token))
        assert "product" in body["detail"]
    assert vendor(client, alice, acme)["name"] == "Acme"


def test_deleting_a_private_vendor_without_products(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    make_user(app, "carol")
    ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "carol"}, headers=bearer(alice)), 201)
    response = client.delete(f"/v2/vendors/{acme}", headers=bearer(alice))
    assert response.status_code == 204
    assert response.get_data() == b""
    for token in (alice, bob):
        assert_problem(client.get(f"/v2/vendors/{acme}", headers=bearer(token)), 404, "not-found")
        assert ok(client.get("/v2/users/me", headers=bearer(token)))["vendors"] == []
    counts = table_counts(app)
    assert (counts["vendors"], counts["vendor_members"]) == (0, 0)
    # The name is free again.
    new_vendor(client, bob, "ACME")


def test_the_foundation_deletes_an_official_vendor_without_products(
    app: Flask, client: FlaskClient, alice: str, root: str, acme: str
) -> None:
    make_official(client, alice, root, acme)
    assert client.delete(f"/v2/vendors/{acme}", headers=bearer(root)).status_code == 204
    assert_problem(client.get(f"/v2/vendors/{acme}"), 404, "not-found")


# --- bodies -----------------------------------------------------------------------------------------

# Every endpoint that reads a body, as (method, url template, a valid body).
BODY_ENDPOINTS = [
    ("POST", "/v2/vendors", {"name": "Globex"}),
    ("PATCH", "/v2/vendors/{acme}", {"description": "x"}),
    ("POST", "/v2/vendors/{acme}/members", {"user": "bob"}),
    ("POST", "/v2/vendors/{acme}/products", {"name": "Cloud", "product_type": "public_cloud"}),
]


def refused_raw(
    app: Flask,
    client: FlaskClient,
    token: str,
    raw: bytes | str,
    status: int,
    slug: str,
    method: str = "POST",
    url: str = "/v2/vendors",
    content_type: str = "application/json",
) -> dict[str, Any]:
    """Send ``raw`` as the body, as it is: refused with ``status``/``slug``, changing nothing."""
    return refused(app, client, method, url, status, slug, data=raw, content_type=content_type, headers=bearer(token))


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"name": "Globex",}',
        b"",
        b"nul",
        b"\xff\xfe{}",
        b"{'name': 'Globex'}",
        b'{"name": "Globex"} {"name": "Initech"}',
    ],
    ids=lambda raw: repr(raw[:20]),
)
@pytest.mark.parametrize(("method", "url", "_valid"), BODY_ENDPOINTS)
def test_malformed_json_is_400(
    app: Flask,
    client: FlaskClient,
    alice: str,
    bob: str,
    acme: str,
    raw: bytes,
    method: str,
    url: str,
    _valid: dict[str, Any],
) -> None:
    refused_raw(app, client, alice, raw, 400, "malformed-json", method, url.format(acme=acme))


def test_deeply_nested_json_is_400(app: Flask, client: FlaskClient, alice: str) -> None:
    """Well under the size limit, but deeper than the parser goes: a client error, not a crash."""
    raw = b"[" * 30_000 + b"]" * 30_000
    refused_raw(app, client, alice, raw, 400, "malformed-json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
@pytest.mark.parametrize(("method", "url", "valid"), BODY_ENDPOINTS)
def test_a_body_that_is_not_json_is_415(
    app: Flask,
    client: FlaskClient,
    alice: str,
    bob: str,
    acme: str,
    content_type: str | None,
    method: str,
    url: str,
    valid: dict[str, Any],
) -> None:
    kwargs: dict[str, Any] = {"data": json.dumps(valid)}
    if content_type is not None:
        kwargs["content_type"] = content_type
    refused(app, client, method, url.format(acme=acme), 415, "unsupported-media-type", headers=bearer(alice), **kwargs)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
@pytest.mark.parametrize(("method", "url", "valid"), BODY_ENDPOINTS)
def test_a_body_over_64_kib_is_413(
    app: Flask,
    client: FlaskClient,
    alice: str,
    bob: str,
    acme: str,
    content_type: str,
    method: str,
    url: str,
    valid: dict[str, Any],
) -> None:
    raw = json.dumps({**valid, "description": "x" * (64 * 1024)})
    refused_raw(app, client, alice, raw, 413, "too-large", method, url.format(acme=acme), content_type)


def test_exactly_64_kib_is_read(app: Flask, client: FlaskClient, alice: str) -> None:
    """At the limit the body is read (and here refused for its content, not its size)."""
    head = b'{"name": "Globex", "description": "'
    raw = head + b"x" * (64 * 1024 - len(head) - 2) + b'"}'
    assert len(raw) == 64 * 1024
    refused_raw(app, client, alice, raw, 400, "schema-violation")


def test_every_schema_problem_is_listed(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    body = refused(
        app,
        client,
        "PATCH",
        f"/v2/vendors/{acme}",
        400,
        "schema-violation",
        json={"name": 5, "description": ["x"]},
        headers=bearer(alice),
    )
    assert [p["path"] for p in body["problems"]] == ["$.description", "$.name"]
    assert all(p["message"] for p in body["problems"])
    body = refused(
        app,
        client,
        "POST",
        f"/v2/vendors/{acme}/products",
        400,
        "schema-violation",
        json={"name": "", "product_type": "mainframe", "public": "yes", "owner": "me"},
        headers=bearer(alice),
    )
    assert sorted(p["path"] for p in body["problems"]) == ["$", "$.name", "$.product_type", "$.public"]


@pytest.mark.parametrize("raw", [b"[]", b"null", b'"Globex"', b"42"])
def test_a_body_that_is_not_an_object_is_a_schema_violation(
    app: Flask, client: FlaskClient, alice: str, raw: bytes
) -> None:
    refused_raw(app, client, alice, raw, 400, "schema-violation")
