"""Products and product versions over /v2, on SQLite and PostgreSQL: creation rules, versions
unique per product, versions reachable only through their own product (RefStack's IDOR), cloud ids
kept from outsiders, deletion and pagination."""

from __future__ import annotations

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
    walk,
)
from tests.identity import bearer, make_user

CPID = "5f2a0c6e9d8b4e1fa0b3c7d2e6f81234"


@pytest.fixture
def official(client: FlaskClient, alice: str, root: str, acme: str) -> str:
    make_official(client, alice, root, acme)
    return acme


def new_version(client: FlaskClient, token: str, product_id: str, version: str, cpid: str | None = None) -> str:
    body: dict[str, Any] = {"version": version}
    if cpid is not None:
        body["cpid"] = cpid
    return str(ok(client.post(f"/v2/products/{product_id}/versions", json=body, headers=bearer(token)), 201)["id"])


# --- products ---------------------------------------------------------------------------------------


def test_a_member_creates_a_product(client: FlaskClient, alice: str, acme: str) -> None:
    body = new_product(client, alice, acme, " Acme Cloud ", "public_cloud", description="ours")
    assert {k: body[k] for k in ("name", "description", "product_type", "public")} == {
        "name": "Acme Cloud",
        "description": "ours",
        "product_type": "public_cloud",
        "public": False,
    }
    assert body["vendor"] == {"id": acme, "name": "Acme"}
    assert body["url"] == f"/v2/products/{body['id']}"
    assert ok(client.get(body["url"], headers=bearer(alice))) == body
    assert [p["id"] for p in ok(client.get(f"/v2/vendors/{acme}/products", headers=bearer(alice)))["items"]] == [
        body["id"]
    ]
    assert_problem(client.get(body["url"]), 404, "not-found")


@pytest.mark.parametrize("product_type", ["distribution", "public_cloud", "hosted_private_cloud"])
def test_every_product_type_is_accepted(client: FlaskClient, alice: str, acme: str, product_type: str) -> None:
    assert new_product(client, alice, acme, "P", product_type)["product_type"] == product_type


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({"name": "P", "product_type": "cloud"}, "schema-violation"),
        ({"name": "P", "product_type": "Distribution"}, "schema-violation"),
        ({"name": "P", "product_type": ""}, "schema-violation"),
        ({"name": "P", "product_type": None}, "schema-violation"),
        ({"name": "P"}, "schema-violation"),
        ({"product_type": "distribution"}, "schema-violation"),
        ({"name": "", "product_type": "distribution"}, "schema-violation"),
        ({"name": "   ", "product_type": "distribution"}, "invalid-input"),
        ({"name": "P" * 201, "product_type": "distribution"}, "schema-violation"),
        ({"name": "P", "product_type": "distribution", "public": "yes"}, "schema-violation"),
        ({"name": "P", "product_type": "distribution", "vendor_id": "x"}, "schema-violation"),
    ],
    ids=repr,
)
def test_bad_new_products_are_400(
    app: Flask, client: FlaskClient, alice: str, acme: str, body: dict[str, Any], slug: str
) -> None:
    refused(app, client, "POST", f"/v2/vendors/{acme}/products", 400, slug, json=body, headers=bearer(alice))


@pytest.mark.parametrize("status", ["private", "pending"])
def test_only_an_official_vendors_product_can_be_public(
    app: Flask, client: FlaskClient, alice: str, acme: str, status: str
) -> None:
    if status == "pending":
        ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(alice)))
    body = {"name": "P", "product_type": "distribution", "public": True}
    refused(
        app,
        client,
        "POST",
        f"/v2/vendors/{acme}/products",
        409,
        "vendor-not-official",
        json=body,
        headers=bearer(alice),
    )
    pid = new_product(client, alice, acme, "P")["id"]
    refused(
        app,
        client,
        "PATCH",
        f"/v2/products/{pid}",
        409,
        "vendor-not-official",
        json={"public": True},
        headers=bearer(alice),
    )
    assert ok(client.get(f"/v2/products/{pid}", headers=bearer(alice)))["public"] is False


def test_a_public_product_of_an_official_vendor_is_visible_to_all(
    client: FlaskClient, alice: str, mallory: str, official: str
) -> None:
    pid = new_product(client, alice, official, "Cloud", "public_cloud", public=True)["id"]
    private = new_product(client, alice, official, "Lab", "distribution")["id"]
    for headers in (None, bearer(mallory)):
        assert ok(client.get(f"/v2/products/{pid}", headers=headers))["public"] is True
        assert_problem(client.get(f"/v2/products/{private}", headers=headers), 404, "not-found")
        assert [p["id"] for p in ok(client.get("/v2/products", headers=headers))["items"]] == [pid]
    # Making it private again hides it.
    ok(client.patch(f"/v2/products/{pid}", json={"public": False}, headers=bearer(alice)))
    assert_problem(client.get(f"/v2/products/{pid}"), 404, "not-found")


def test_changing_a_product(client: FlaskClient, alice: str, official: str) -> None:
    pid = new_product(client, alice, official, "P")["id"]
    change = {"name": " Q ", "description": "d", "product_type": "hosted_private_cloud", "public": True}
    body = ok(client.patch(f"/v2/products/{pid}", json=change, headers=bearer(alice)))
    assert {k: body[k] for k in change} == {**change, "name": "Q"}
    assert body["updated_at"] >= body["created_at"]
    assert ok(client.get(f"/v2/products/{pid}"))["name"] == "Q"


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({}, "schema-violation"),
        ({"product_type": "cloud"}, "schema-violation"),
        ({"name": ""}, "schema-violation"),
        ({"name": "  "}, "invalid-input"),
        ({"vendor_id": "elsewhere"}, "schema-violation"),
    ],
    ids=repr,
)
def test_bad_product_changes_are_400(
    app: Flask, client: FlaskClient, alice: str, acme: str, body: dict[str, Any], slug: str
) -> None:
    pid = new_product(client, alice, acme, "P")["id"]
    refused(app, client, "PATCH", f"/v2/products/{pid}", 400, slug, json=body, headers=bearer(alice))


def test_product_names_are_unique_per_vendor(
    app: Flask, client: FlaskClient, alice: str, mallory: str, acme: str
) -> None:
    pid = new_product(client, alice, acme, "P")["id"]
    other = new_product(client, alice, acme, "Q")["id"]
    body = {"name": " P ", "product_type": "public_cloud"}
    refused(
        app, client, "POST", f"/v2/vendors/{acme}/products", 409, "product-exists", json=body, headers=bearer(alice)
    )
    refused(
        app, client, "PATCH", f"/v2/products/{other}", 409, "product-exists", json={"name": "P"}, headers=bearer(alice)
    )
    # Another vendor may use the name; renaming a product to its own name is no clash.
    new_product(client, mallory, new_vendor(client, mallory, "Globex"), "P")
    assert ok(client.patch(f"/v2/products/{pid}", json={"name": "P"}, headers=bearer(alice)))["name"] == "P"


def test_an_unknown_product_is_404(app: Flask, client: FlaskClient, alice: str) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        refused(
            app, client, method, "/v2/products/no-such-id", 404, "not-found", json={"name": "x"}, headers=bearer(alice)
        )
    refused(app, client, "GET", "/v2/products/no-such-id/versions", 404, "not-found", headers=bearer(alice))


# --- versions ---------------------------------------------------------------------------------------


def test_versions_of_a_product(client: FlaskClient, alice: str, acme: str) -> None:
    pid = new_product(client, alice, acme, "Cloud", "public_cloud")["id"]
    created = ok(
        client.post(f"/v2/products/{pid}/versions", json={"version": " 2026.1 ", "cpid": CPID}, headers=bearer(alice)),
        201,
    )
    assert (created["product_id"], created["version"], created["cpid"]) == (pid, "2026.1", CPID)
    vid = created["id"]
    assert ok(client.get(f"/v2/products/{pid}/versions/{vid}", headers=bearer(alice))) == created
    changed = ok(client.patch(f"/v2/products/{pid}/versions/{vid}", json={"cpid": None}, headers=bearer(alice)))
    assert (changed["version"], changed["cpid"]) == ("2026.1", None)
    changed = ok(client.patch(f"/v2/products/{pid}/versions/{vid}", json={"version": "2026.2"}, headers=bearer(alice)))
    assert changed["version"] == "2026.2"
    assert client.delete(f"/v2/products/{pid}/versions/{vid}", headers=bearer(alice)).status_code == 204
    assert ok(client.get(f"/v2/products/{pid}/versions", headers=bearer(alice)))["items"] == []


@pytest.mark.parametrize("again", ["1.0", " 1.0 "])
def test_versions_are_unique_per_product(app: Flask, client: FlaskClient, alice: str, acme: str, again: str) -> None:
    pid = new_product(client, alice, acme, "P")["id"]
    new_version(client, alice, pid, "1.0")
    v2 = new_version(client, alice, pid, "2.0")
    refused(
        app,
        client,
        "POST",
        f"/v2/products/{pid}/versions",
        409,
        "version-exists",
        json={"version": again},
        headers=bearer(alice),
    )
    refused(
        app,
        client,
        "PATCH",
        f"/v2/products/{pid}/versions/{v2}",
        409,
        "version-exists",
        json={"version": again},
        headers=bearer(alice),
    )
    # The same version in another product is no clash.
    new_version(client, alice, new_product(client, alice, acme, "Q")["id"], "1.0")


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({}, "schema-violation"),
        ({"version": ""}, "schema-violation"),
        ({"version": "   "}, "invalid-input"),
        ({"version": "v" * 101}, "schema-violation"),
        ({"version": "1", "cpid": ""}, "schema-violation"),
        ({"version": "1", "cpid": "c" * 129}, "schema-violation"),
        ({"version": "1", "cpid": 5}, "schema-violation"),
        ({"version": 1}, "schema-violation"),
        ({"version": "1", "product_id": "x"}, "schema-violation"),
    ],
    ids=repr,
)
def test_bad_new_versions_are_400(
    app: Flask, client: FlaskClient, alice: str, acme: str, body: dict[str, Any], slug: str
) -> None:
    pid = new_product(client, alice, acme, "P")["id"]
    refused(app, client, "POST", f"/v2/products/{pid}/versions", 400, slug, json=body, headers=bearer(alice))


@pytest.mark.parametrize("owner", ["same vendor", "another vendor"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_a_version_of_another_product_is_404(
    app: Flask, client: FlaskClient, alice: str, mallory: str, acme: str, owner: str, method: str
) -> None:
    """RefStack's IDOR: the version id alone must not reach a version through any product's URL."""
    victim = new_product(client, alice, acme, "Victim", "public_cloud")["id"]
    version = new_version(client, alice, victim, "1.0", CPID)
    if owner == "same vendor":
        caller, through = alice, new_product(client, alice, acme, "Other")["id"]
    else:
        caller, through = mallory, new_product(client, mallory, new_vendor(client, mallory, "Globex"), "Mine")["id"]
    url = f"/v2/products/{through}/versions/{version}"
    body = refused(app, client, method, url, 404, "not-found", json={"cpid": "stolen"}, headers=bearer(caller))
    assert CPID not in str(body)
    got = ok(client.get(f"/v2/products/{victim}/versions/{version}", headers=bearer(alice)))
    assert (got["product_id"], got["version"], got["cpid"]) == (victim, "1.0", CPID)


def test_an_unknown_version_is_404(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    pid = new_product(client, alice, acme, "P")["id"]
    for method in ("GET", "PATCH", "DELETE"):
        refused(
            app,
            client,
            method,
            f"/v2/products/{pid}/versions/nope",
            404,
            "not-found",
            json={"cpid": "x"},
            headers=bearer(alice),
        )


def test_the_cpid_is_shown_only_to_members_and_the_foundation(
    app: Flask, client: FlaskClient, alice: str, mallory: str, root: str, official: str
) -> None:
    pid = new_product(client, alice, official, "Cloud", "public_cloud", public=True)["id"]
    vid = new_version(client, alice, pid, "2026.1", CPID)
    reviewer = make_user(app, "rita", "reviewer")
    for headers, sees in (
        (None, False),
        (bearer(mallory), False),
        (bearer(alice), True),
        (bearer(root), True),
        (bearer(reviewer), True),
    ):
        single = client.get(f"/v2/products/{pid}/versions/{vid}", headers=headers)
        listed = client.get(f"/v2/products/{pid}/versions", headers=headers)
        assert ok(single)["version"] == "2026.1"
        assert ("cpid" in ok(single)) is sees
        assert [("cpid" in v) for v in ok(listed)["items"]] == [sees]
        assert (CPID in single.get_data(as_text=True) + listed.get_data(as_text=True)) is sees


def test_an_invited_but_not_accepted_user_does_not_see_the_cpid(
    client: FlaskClient, alice: str, mallory: str, official: str
) -> None:
    pid = new_product(client, alice, official, "Cloud", "public_cloud", public=True)["id"]
    new_version(client, alice, pid, "2026.1", CPID)
    ok(client.post(f"/v2/vendors/{official}/members", json={"user": "mallory"}, headers=bearer(alice)), 201)
    assert CPID not in client.get(f"/v2/products/{pid}/versions", headers=bearer(mallory)).get_data(as_text=True)


# --- deleting and listing ---------------------------------------------------------------------------


def test_deleting_a_product_deletes_its_versions(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    doomed = new_product(client, alice, acme, "Doomed")["id"]
    kept = new_product(client, alice, acme, "Kept")["id"]
    versions = [new_version(client, alice, doomed, v) for v in ("1", "2", "3")]
    kept_version = new_version(client, alice, kept, "1")
    response = client.delete(f"/v2/products/{doomed}", headers=bearer(alice))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_problem(client.get(f"/v2/products/{doomed}", headers=bearer(alice)), 404, "not-found")
    for version in versions:
        assert_problem(client.get(f"/v2/products/{doomed}/versions/{version}", headers=bearer(alice)), 404, "not-found")
    counts = table_counts(app)
    assert (counts["products"], counts["product_versions"]) == (1, 1)
    assert ok(client.get(f"/v2/products/{kept}/versions/{kept_version}", headers=bearer(alice)))["version"] == "1"
    # With its products gone, the vendor itself can go.
    assert client.delete(f"/v2/products/{kept}", headers=bearer(alice)).status_code == 204
    assert client.delete(f"/v2/vendors/{acme}", headers=bearer(alice)).status_code == 204


def test_products_pagination(client: FlaskClient, alice: str, mallory: str, root: str, official: str) -> None:
    mine = {new_product(client, alice, official, f"P{i}", public=True)["id"] for i in range(5)}
    globex = new_vendor(client, mallory, "Globex")
    theirs = {new_product(client, mallory, globex, f"G{i}")["id"] for i in range(3)}
    pages = walk(client, "/v2/products?limit=2")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p["name"] for page in pages for p in page] == [f"P{i}" for i in range(5)]
    everything = [p["id"] for page in walk(client, "/v2/products?limit=2", bearer(root)) for p in page]
    assert sorted(everything) == sorted(mine | theirs)
    # A filter is kept in every next link.
    filtered = walk(client, f"/v2/products?limit=2&vendor={globex}", bearer(mallory))
    assert [len(p) for p in filtered] == [2, 1]
    assert {p["id"] for page in filtered for p in page} == theirs
    per_vendor = walk(client, f"/v2/vendors/{official}/products?limit=3", bearer(mallory))
    assert {p["id"] for page in per_vendor for p in page} == mine


def test_a_member_added_later_manages_products(
    app: Flask, client: FlaskClient, alice: str, mallory: str, acme: str
) -> None:
    pid = new_product(client, alice, acme, "P")["id"]
    refused(app, client, "PATCH", f"/v2/products/{pid}", 404, "not-found", json={"name": "Q"}, headers=bearer(mallory))
    add_member(client, alice, acme, "mallory", mallory)
    ok(client.patch(f"/v2/products/{pid}", json={"name": "Q"}, headers=bearer(mallory)))
    assert ok(client.get(f"/v2/products/{pid}", headers=bearer(alice)))["name"] == "Q"
