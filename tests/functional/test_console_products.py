"""The console's product pages: a vendor's products, one product with its versions, creating,
editing, making public or private, deleting (a product after a confirmation), and each version's
cloud id. Every write is checked through the /v2 API; every refusal changes nothing."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import add_member, make_official, new_product, new_vendor, ok, unchanged
from tests.functional.console_helpers import console_client, submit, text_of
from tests.functional.submission_helpers import Vendor
from tests.identity import bearer, make_user

NEW = {"name": "Widget Cloud", "description": "a cloud", "product_type": "public_cloud"}


def said(page: Any) -> str:
    """What a person reads on the page, entities decoded."""
    return html.unescape(text_of(page))


def product_of(client: FlaskClient, token: str, product_id: str) -> dict[str, Any]:
    return dict(ok(client.get(f"/v2/products/{product_id}", headers=bearer(token))))


def versions_of(client: FlaskClient, token: str, product_id: str) -> dict[str, str | None]:
    items = ok(client.get(f"/v2/products/{product_id}/versions", headers=bearer(token)))["items"]
    return {v["version"]: v["cpid"] for v in items}


def add_version(client: FlaskClient, token: str, product_id: str, version: str, cpid: str | None = None) -> str:
    body = {"version": version, "cpid": cpid}
    return str(ok(client.post(f"/v2/products/{product_id}/versions", json=body, headers=bearer(token)), 201)["id"])


@pytest.fixture
def widget(client: FlaskClient, alice: str, acme: str) -> str:
    """A private distribution of Acme, with version 1.0 (cloud id cloud-1)."""
    product = new_product(client, alice, acme, "Widget", description="widgets")["id"]
    add_version(client, alice, product, "1.0", "cloud-1")
    return str(product)


@pytest.fixture
def globex(client: FlaskClient, mallory: str) -> str:
    return new_vendor(client, mallory, "Globex")


# --- who may open the pages -----------------------------------------------------------------------


def test_the_products_page_lists_the_vendors_products(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, widget: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    page = console_client(app, "bob").get(f"/console/vendors/{acme}/products")
    assert page.status_code == 200
    assert f'href="/console/products/{widget}"' in page.get_data(as_text=True)
    assert "Widget Distribution private 1" in said(page)
    assert page.headers["Cache-Control"] == "no-store"


def test_the_product_page_shows_its_versions(app: Flask, alice: str, acme: str, widget: str) -> None:
    page = console_client(app, "alice").get(f"/console/products/{widget}")
    assert page.status_code == 200
    text = said(page)
    assert "Widget private" in text
    assert "widgets" in text
    assert 'value="cloud-1"' in page.get_data(as_text=True)
    confirm = console_client(app, "alice").get(f"/console/products/{widget}/delete")
    assert confirm.status_code == 200
    assert "Delete Widget ?" in said(confirm)
    assert "cloud id cloud-1" in said(confirm)


def test_the_foundation_opens_the_pages(app: Flask, root: str, alice: str, acme: str, widget: str) -> None:
    console = console_client(app, "root")
    assert console.get(f"/console/vendors/{acme}/products").status_code == 200
    assert console.get(f"/console/products/{widget}").status_code == 200


def test_only_people_the_service_allows_see_the_product_actions(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, widget: str
) -> None:
    """Members and foundation admins change products; a reviewer only reads, so sees no form
    the service would refuse with a 403."""
    version = add_version(client, alice, widget, "2.0", "cloud-1")
    make_user(app, "rita", "reviewer")
    actions = (
        f"/console/products/{widget}/public",
        f"/console/products/{widget}/delete",
        f"/console/products/{widget}/versions",
        f"/console/products/{widget}/versions/{version}/cpid",
        f"/console/products/{widget}/versions/{version}/delete",
        f'action="/console/products/{widget}"',
    )
    for name, shown in (("alice", True), ("root", True), ("rita", False)):
        page = console_client(app, name).get(f"/console/products/{widget}").get_data(as_text=True)
        for action in actions:
            assert (action in page) is shown, (name, action)
    rita = console_client(app, "rita")
    assert "cloud-1" in said(rita.get(f"/console/products/{widget}"))
    with unchanged(app):
        assert submit(rita, f"/console/products/{widget}/public").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, acme: str, widget: str) -> None:
    for url in (
        f"/console/vendors/{acme}/products",
        f"/console/products/{widget}",
        f"/console/products/{widget}/delete",
    ):
        answer = app.test_client().get(url)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/console/sign-in?next=")


def test_a_member_of_another_vendor_is_refused(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, widget: str, mallory: str, globex: str
) -> None:
    console = console_client(app, "mallory")
    # private: not even found
    for url in (
        f"/console/vendors/{acme}/products",
        f"/console/products/{widget}",
        f"/console/products/{widget}/delete",
    ):
        assert console.get(url).status_code == 404
    # official and public: the directory shows it, the console does not
    make_official(client, alice, root, acme)
    ok(client.patch(f"/v2/products/{widget}", json={"public": True}, headers=bearer(alice)))
    for url in (
        f"/console/vendors/{acme}/products",
        f"/console/products/{widget}",
        f"/console/products/{widget}/delete",
    ):
        assert console.get(url).status_code == 403


def _writes(acme: str, widget: str, version: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/console/vendors/{acme}/products", NEW),
        (f"/console/products/{widget}", NEW),
        (f"/console/products/{widget}/public", {}),
        (f"/console/products/{widget}/private", {}),
        (f"/console/products/{widget}/delete", {}),
        (f"/console/products/{widget}/versions", {"version": "2.0", "cpid": ""}),
        (f"/console/products/{widget}/versions/{version}/cpid", {"cpid": "mine"}),
        (f"/console/products/{widget}/versions/{version}/delete", {}),
    ]


def test_outsiders_change_nothing(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, widget: str, mallory: str, globex: str
) -> None:
    make_official(client, alice, root, acme)
    ok(client.patch(f"/v2/products/{widget}", json={"public": True}, headers=bearer(alice)))
    version = next(iter(ok(client.get(f"/v2/products/{widget}/versions", headers=bearer(alice)))["items"]))["id"]
    console = console_client(app, "mallory")
    for url, data in _writes(acme, widget, version):
        with unchanged(app):
            answer = submit(console, url, data)
        assert answer.status_code == 403, url


def test_a_post_without_csrf_token_is_refused(
    app: Flask, client: FlaskClient, alice: str, acme: str, widget: str
) -> None:
    version = next(iter(ok(client.get(f"/v2/products/{widget}/versions", headers=bearer(alice)))["items"]))["id"]
    console = console_client(app, "alice")
    for url, data in _writes(acme, widget, version):
        with unchanged(app):
            answer = console.post(url, data=data)
        assert answer.status_code == 400, url
        assert "Nothing was changed" in said(answer)
    with unchanged(app):
        assert app.test_client().post(f"/console/products/{widget}/delete").status_code in (400, 401)


def test_a_version_of_another_product_is_not_found(
    app: Flask, client: FlaskClient, alice: str, acme: str, widget: str
) -> None:
    other = new_product(client, alice, acme, "Gadget")["id"]
    version = add_version(client, alice, other, "9.9")
    console = console_client(app, "alice")
    for path, data in ((f"versions/{version}/cpid", {"cpid": "x"}), (f"versions/{version}/delete", {})):
        with unchanged(app):
            assert submit(console, f"/console/products/{widget}/{path}", data).status_code == 404


# --- creating ---------------------------------------------------------------------------------------


def test_a_member_creates_a_private_product(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    console = console_client(app, "alice")
    answer = submit(console, f"/console/vendors/{acme}/products", {**NEW, "name": "  Widget Cloud "})
    assert answer.status_code == 302
    product_id = answer.headers["Location"].rsplit("/", 1)[1]
    body = product_of(client, alice, product_id)
    assert (body["name"], body["description"], body["product_type"], body["public"]) == (
        "Widget Cloud",
        "a cloud",
        "public_cloud",
        False,
    )
    assert body["vendor"]["id"] == acme
    assert "Product Widget Cloud created." in said(console.get(answer.headers["Location"]))


def test_an_official_vendor_creates_a_public_product(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str
) -> None:
    make_official(client, alice, root, acme)
    answer = submit(console_client(app, "alice"), f"/console/vendors/{acme}/products", {**NEW, "public": "y"})
    assert answer.status_code == 302
    assert product_of(client, alice, answer.headers["Location"].rsplit("/", 1)[1])["public"] is True


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({**NEW, "name": ""}, 400, "This field is required."),
        ({**NEW, "name": "  "}, 400, "This field is required."),
        ({**NEW, "name": "x" * 201}, 400, "Field cannot be longer than 200 characters."),
        ({**NEW, "name": "Wid\x00get"}, 400, "control character"),
        ({**NEW, "description": "x" * 10_001}, 400, "Field cannot be longer than 10000 characters."),
        ({**NEW, "product_type": "mainframe"}, 400, "Not a valid choice"),
        ({"name": "No type"}, 400, "Not a valid choice"),
        ({**NEW, "name": "Widget"}, 409, "already has a product named 'Widget'"),
        ({**NEW, "public": "y"}, 409, "only an official vendor's products can be public"),
    ],
)
def test_a_bad_new_product_changes_nothing(
    app: Flask, alice: str, acme: str, widget: str, data: dict[str, str], status: int, message: str
) -> None:
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/products", data)
    assert answer.status_code == status
    assert message in said(answer)


# --- editing, public or private, deleting -----------------------------------------------------------


def test_a_member_edits_the_product(app: Flask, client: FlaskClient, alice: str, acme: str, widget: str) -> None:
    console = console_client(app, "alice")
    data = {"name": "Widget Pro", "description": "better widgets", "product_type": "hosted_private_cloud"}
    answer = submit(console, f"/console/products/{widget}", data)
    assert answer.status_code == 302
    body = product_of(client, alice, widget)
    assert (body["name"], body["description"], body["product_type"]) == (
        "Widget Pro",
        "better widgets",
        "hosted_private_cloud",
    )


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({**NEW, "name": ""}, 400, "This field is required."),
        ({**NEW, "description": "a\x1bb"}, 400, "control character"),
        ({**NEW, "product_type": "public"}, 400, "Not a valid choice"),
        ({**NEW, "name": "Gadget"}, 409, "already has a product named 'Gadget'"),
    ],
)
def test_a_bad_edit_changes_nothing(
    app: Flask, client: FlaskClient, alice: str, acme: str, widget: str, data: dict[str, str], status: int, message: str
) -> None:
    new_product(client, alice, acme, "Gadget")
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/products/{widget}", data)
    assert answer.status_code == status
    assert message in said(answer)


def test_making_a_product_public_then_private(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, widget: str
) -> None:
    console = console_client(app, "alice")
    with unchanged(app):
        refused = submit(console, f"/console/products/{widget}/public")
    assert refused.status_code == 409
    assert "only an official vendor's products can be public" in said(refused)
    make_official(client, alice, root, acme)
    assert submit(console, f"/console/products/{widget}/public").status_code == 302
    assert product_of(client, alice, widget)["public"] is True
    assert f'action="/console/products/{widget}/private"' in console.get(f"/console/products/{widget}").get_data(
        as_text=True
    )
    assert submit(console, f"/console/products/{widget}/private").status_code == 302
    assert product_of(client, alice, widget)["public"] is False


def test_deleting_a_product_deletes_its_versions(
    app: Flask, client: FlaskClient, alice: str, acme: str, widget: str
) -> None:
    console = console_client(app, "alice")
    answer = submit(console, f"/console/products/{widget}/delete")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/console/vendors/{acme}/products"
    assert client.get(f"/v2/products/{widget}", headers=bearer(alice)).status_code == 404
    assert ok(client.get(f"/v2/vendors/{acme}/products", headers=bearer(alice)))["items"] == []


def test_a_product_with_submissions_is_not_deleted(app: Flask, vendor: Vendor) -> None:
    ok(vendor.submit(vendor.sign(vendor.results())), 201)
    console = console_client(app, "alice")
    for url in (
        f"/console/products/{vendor.product_id}/delete",
        f"/console/products/{vendor.product_id}/versions/{vendor.version_id}/delete",
    ):
        with unchanged(app):
            answer = submit(console, url)
        assert answer.status_code == 409
        assert "they keep it as their evidence" in said(answer)


# --- versions ---------------------------------------------------------------------------------------


def test_adding_a_version_with_and_without_a_cloud_id(
    app: Flask, client: FlaskClient, alice: str, acme: str, widget: str
) -> None:
    console = console_client(app, "alice")
    assert submit(console, f"/console/products/{widget}/versions", {"version": " 2.0 ", "cpid": ""}).status_code == 302
    assert (
        submit(console, f"/console/products/{widget}/versions", {"version": "3.0", "cpid": " c-3 "}).status_code == 302
    )
    assert versions_of(client, alice, widget) == {"1.0": "cloud-1", "2.0": None, "3.0": "c-3"}


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"version": "", "cpid": ""}, 400, "This field is required."),
        ({"version": "x" * 101, "cpid": ""}, 400, "Field cannot be longer than 100 characters."),
        ({"version": "2\x00", "cpid": ""}, 400, "control character"),
        ({"version": "2.0", "cpid": "x" * 129}, 400, "Field cannot be longer than 128 characters."),
        ({"version": "2.0", "cpid": "has space"}, 400, "a cpid is 1 to 128 letters"),
        ({"version": "1.0", "cpid": ""}, 409, "already has a version '1.0'"),
        ({"version": "2.0", "cpid": "theirs"}, 409, "belongs to another vendor's product"),
    ],
)
def test_a_bad_version_changes_nothing(
    app: Flask,
    client: FlaskClient,
    alice: str,
    acme: str,
    widget: str,
    mallory: str,
    globex: str,
    data: dict[str, str],
    status: int,
    message: str,
) -> None:
    add_version(client, mallory, new_product(client, mallory, globex, "Theirs")["id"], "1", "theirs")
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/products/{widget}/versions", data)
    assert answer.status_code == status
    assert message in said(answer)


def test_setting_and_clearing_a_cloud_id(app: Flask, client: FlaskClient, alice: str, acme: str, widget: str) -> None:
    version = add_version(client, alice, widget, "2.0")
    console = console_client(app, "alice")
    answer = submit(console, f"/console/products/{widget}/versions/{version}/cpid", {"cpid": "cloud-2"})
    assert answer.status_code == 302
    assert "The cloud id of version 2.0 is cloud-2." in said(console.get(answer.headers["Location"]))
    assert versions_of(client, alice, widget)["2.0"] == "cloud-2"
    assert submit(console, f"/console/products/{widget}/versions/{version}/cpid", {"cpid": ""}).status_code == 302
    assert versions_of(client, alice, widget)["2.0"] is None


@pytest.mark.parametrize(
    ("cpid", "status", "message"),
    [
        ("x" * 129, 400, "Field cannot be longer than 128 characters."),
        ("a\x00", 400, "control character"),
        ("a/b", 400, "a cpid is 1 to 128 letters"),
        ("theirs", 409, "belongs to another vendor's product"),
    ],
)
def test_a_bad_cloud_id_changes_nothing(
    app: Flask,
    client: FlaskClient,
    alice: str,
    acme: str,
    widget: str,
    mallory: str,
    globex: str,
    cpid: str,
    status: int,
    message: str,
) -> None:
    add_version(client, mallory, new_product(client, mallory, globex, "Theirs")["id"], "1", "theirs")
    version = add_version(client, alice, widget, "2.0")
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/products/{widget}/versions/{version}/cpid", {"cpid": cpid})
    assert answer.status_code == status
    assert message in said(answer)


def test_deleting_a_version(app: Flask, client: FlaskClient, alice: str, acme: str, widget: str) -> None:
    version = add_version(client, alice, widget, "2.0")
    answer = submit(console_client(app, "alice"), f"/console/products/{widget}/versions/{version}/delete")
    assert answer.status_code == 302
    assert versions_of(client, alice, widget) == {"1.0": "cloud-1"}
