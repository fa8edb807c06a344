"""``refstack-lite-client vendors``, ``products`` and ``versions`` against a live server (a real
HTTP socket), on SQLite and PostgreSQL: what each prints, what is public without a token, and
that every refusal is one readable message that changes nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import make_official, new_product, new_vendor, ok, unchanged
from tests.functional.client_helpers import Client, fails
from tests.functional.client_helpers import ok as succeeds
from tests.identity import bearer, make_user

pytestmark = pytest.mark.usefixtures("client_env")  # no settings from the machine running the tests


def fields_of(output: str) -> dict[str, str]:
    """``Label:  value`` lines as a mapping."""
    return {label: value.strip() for label, _, value in (line.partition(":") for line in output.splitlines())}


def rows_of(output: str) -> list[list[str]]:
    """A table's rows (header left out), split on runs of two spaces or more."""
    return [re.split(r" {2,}", line) for line in output.splitlines()[1:]]


def as_json(client: Client, *args: str) -> Any:
    return json.loads(succeeds(client(*args, "--json")).stdout)


@pytest.fixture
def carol(app: Flask, server: str) -> Client:
    """A user with no vendor yet, as the client sees her."""
    return Client(server, make_user(app, "carol"))


def test_a_vendor_from_creation_to_application(carol: Client, client: FlaskClient) -> None:
    created = fields_of(succeeds(carol("vendors", "create", "Carol Clouds", "--description", "Clouds by Carol")).stdout)
    assert created == {
        "ID": created["ID"],
        "Name": "Carol Clouds",
        "Description": "Clouds by Carol",
        "Status": "private (apply with 'refstack-lite-client vendors apply' to become official)",
        "Your role": "owner",
    }
    vendor_id = created["ID"]
    assert ok(client.get(f"/v2/vendors/{vendor_id}", headers=bearer(str(carol.token))))["name"] == "Carol Clouds"
    assert rows_of(succeeds(carol("vendors", "list")).stdout) == [[vendor_id, "Carol Clouds", "private", "owner"]]
    # with one vendor, show and apply need no --vendor
    assert fields_of(succeeds(carol("vendors", "show")).stdout) == created
    assert fields_of(succeeds(carol("vendors", "show", vendor_id)).stdout) == created
    applied = fields_of(succeeds(carol("vendors", "apply")).stdout)
    assert applied["Status"] == "pending (the foundation reviews the application)"
    assert as_json(carol, "vendors", "show")["status"] == "pending"
    assert [v["id"] for v in as_json(carol, "vendors", "list")] == [vendor_id]


def test_products_and_versions(carol: Client, client: FlaskClient) -> None:
    vendor_id = fields_of(succeeds(carol("vendors", "create", "Carol Clouds")).stdout)["ID"]
    product = fields_of(succeeds(carol("products", "create", "Carol Cloud", "--type", "public_cloud")).stdout)
    assert product == {
        "ID": product["ID"],
        "Name": "Carol Cloud",
        "Type": "public_cloud",
        "Public": "no",
        "Vendor": f"Carol Clouds ({vendor_id})",
    }
    version = fields_of(succeeds(carol("versions", "create", product["ID"], "2026.1", "--cpid", "cloud-7")).stdout)
    assert version == {"ID": version["ID"], "Version": "2026.1", "Product": product["ID"], "Cpid": "cloud-7"}
    stored = ok(client.get(f"/v2/products/{product['ID']}/versions/{version['ID']}", headers=bearer(str(carol.token))))
    assert (stored["version"], stored["cpid"]) == ("2026.1", "cloud-7")
    bare = fields_of(succeeds(carol("versions", "create", product["ID"], "2026.2")).stdout)
    assert bare["Cpid"] == "-"

    listed = rows_of(succeeds(carol("products", "list")).stdout)
    assert listed == [[product["ID"], "Carol Cloud", "public_cloud", "no", "Carol Clouds"]]
    assert rows_of(succeeds(carol("products", "list", "--vendor", vendor_id)).stdout) == listed
    versions = rows_of(succeeds(carol("versions", "list", product["ID"])).stdout)
    assert [row[:3] for row in versions] == [[version["ID"], "2026.1", "cloud-7"], [bare["ID"], "2026.2", "-"]]
    assert [v["cpid"] for v in as_json(carol, "versions", "list", product["ID"])] == ["cloud-7", None]
    created = as_json(carol, "products", "create", "Carol Distro", "--type", "distribution", "--description", "d")
    assert (created["name"], created["product_type"], created["description"]) == ("Carol Distro", "distribution", "d")


def test_public_reads_need_no_token(
    app: Flask, server: str, client: FlaskClient, alice: str, root: str, carol: Client
) -> None:
    official = new_vendor(client, alice, "Acme")
    make_official(client, alice, root, official)
    public = new_product(client, alice, official, "Acme Cloud", "public_cloud", public=True)
    ok(
        client.post(
            f"/v2/products/{public['id']}/versions", json={"version": "1", "cpid": "c-1"}, headers=bearer(alice)
        ),
        201,
    )
    new_product(client, alice, official, "Acme Lab", "distribution")  # private
    private = fields_of(succeeds(carol("vendors", "create", "Carol Clouds")).stdout)["ID"]

    anonymous = Client(server)
    assert rows_of(succeeds(anonymous("vendors", "list")).stdout) == [[official, "Acme", "official", "-"]]
    assert fields_of(succeeds(anonymous("vendors", "show", official)).stdout)["Status"] == "official"
    assert fails(anonymous("vendors", "show", private)) == f"Error: 404 Not found: no vendor '{private}' [not-found]\n"
    assert [row[1] for row in rows_of(succeeds(anonymous("products", "list")).stdout)] == ["Acme Cloud"]
    (version,) = rows_of(succeeds(anonymous("versions", "list", public["id"])).stdout)
    assert version[1:3] == ["1", "-"]  # the cpid is the vendor's business
    # a member sees the vendor's private things too
    assert [row[1] for row in rows_of(succeeds(Client(server, alice)("products", "list")).stdout)] == [
        "Acme Cloud",
        "Acme Lab",
    ]


def test_refusals_are_one_message_and_change_nothing(
    app: Flask, server: str, client: FlaskClient, alice: str, carol: Client
) -> None:
    acme = new_vendor(client, alice, "Acme")
    theirs = new_product(client, alice, acme, "Acme Cloud")
    ok(
        client.post(
            f"/v2/products/{theirs['id']}/versions", json={"version": "1", "cpid": "taken"}, headers=bearer(alice)
        ),
        201,
    )
    anonymous = Client(server)
    with unchanged(app):
        assert "you are not a member of any vendor: create one ('refstack-lite-client vendors create NAME')" in fails(
            carol("products", "create", "P", "--type", "distribution")
        )
        assert "you are not a member of any vendor" in fails(carol("vendors", "apply"))
        assert "no token" in fails(anonymous("vendors", "create", "Nobody"))
        assert fails(carol("vendors", "create", "Acme")) == (
            "Error: 409 Conflict: a vendor named 'Acme' already exists [vendor-exists]\n"
        )
        assert fails(carol("products", "create", "P", "--type", "distribution", "--vendor", acme)) == (
            f"Error: 404 Not found: no vendor '{acme}' [not-found]\n"
        )
        assert "'cloud' is not one of 'distribution', 'public_cloud', 'hosted_private_cloud'" in fails(
            carol("products", "create", "P", "--type", "cloud"), status=2
        )
        assert (
            fails(carol("versions", "create", "no-such", "1"))
            == "Error: 404 Not found: no product 'no-such' [not-found]\n"
        )
        assert fails(carol("versions", "list", theirs["id"])) == (
            f"Error: 404 Not found: no product '{theirs['id']}' [not-found]\n"
        )
    mine = fields_of(succeeds(carol("vendors", "create", "Carol Clouds")).stdout)["ID"]
    product = fields_of(succeeds(carol("products", "create", "Carol Cloud", "--type", "public_cloud")).stdout)["ID"]
    with unchanged(app):
        assert fails(carol("products", "create", "Open", "--type", "public_cloud", "--public")) == (
            "Error: 409 Conflict: only an official vendor's products can be public; 'Carol Clouds' is private "
            "[vendor-not-official]\n"
        )
        assert "[cpid-taken]" in fails(carol("versions", "create", product, "2", "--cpid", "taken"))
        assert "$.cpid: '' should be non-empty" in fails(carol("versions", "create", product, "2", "--cpid", ""))
        assert fails(carol("vendors", "show", "--vendor", mine), status=2).startswith("Usage:")
    succeeds(carol("vendors", "apply"))
    with unchanged(app):
        assert fails(carol("vendors", "apply")) == (
            "Error: 409 Conflict: cannot apply a vendor that is pending (only from private) [vendor-status]\n"
        )
