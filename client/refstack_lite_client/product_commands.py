"""``refstack-lite-client products`` and ``versions``: a vendor's products and their versions.

Results name what was tested by its product version (``run --product-version ID``), and a
version may carry the cloud's id (``cpid``), which RefStack uploads name. Listing is a public
read: without a token it shows public products, and versions without their cpid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import click

from refstack_lite_client.cli_common import choose_vendor, echo_json, fields, table
from refstack_lite_client.vendor_commands import vendor_path

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

PRODUCT_TYPES = ("distribution", "public_cloud", "hosted_private_cloud")
PRODUCT_COLUMNS = ("ID", "NAME", "TYPE", "PUBLIC", "VENDOR")
VERSION_COLUMNS = ("ID", "VERSION", "CPID", "CREATED")

vendor_option = click.option(
    "--vendor",
    "vendor_id",
    metavar="VENDOR_ID",
    help="The vendor [default: the config file's vendor, else your only vendor].",
)


def product_path(product_id: str, *rest: str) -> str:
    return "/".join(["v2/products", quote(product_id, safe=""), *rest])


def _yes_no(value: object) -> str:
    return "yes" if value else "no"


@click.group("products")
def products_group() -> None:
    """Create and list a vendor's products."""


@products_group.command("create")
@click.argument("name")
@click.option(
    "--type",
    "product_type",
    required=True,
    type=click.Choice(PRODUCT_TYPES),
    help="What the product is.",
)
@click.option("--description", default="", help="What the product is, in a sentence.")
@click.option(
    "--public/--private",
    default=False,
    show_default=True,
    help="Whether everyone may see it (only an official vendor's products may be public).",
)
@vendor_option
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def products_create(
    state: State, name: str, product_type: str, description: str, public: bool, vendor_id: str | None, as_json: bool
) -> None:
    """Create a product named NAME for the vendor."""
    api = state.api()
    vendor_id = choose_vendor(state, api, vendor_id)
    body: dict[str, Any] = {"name": name, "product_type": product_type, "public": public}
    if description:
        body["description"] = description
    created = api.post(vendor_path(vendor_id, "products"), body)
    if as_json:
        echo_json(created)
        return
    click.echo(
        fields(
            [
                ("ID", created["id"]),
                ("Name", created["name"]),
                ("Type", created["product_type"]),
                ("Public", _yes_no(created["public"])),
                ("Vendor", f"{created['vendor']['name']} ({created['vendor']['id']})"),
            ]
        )
    )


@products_group.command("list")
@click.option("--vendor", "vendor_id", metavar="VENDOR_ID", help="Only this vendor's products.")
@click.option("--json", "as_json", is_flag=True, help="Print the products as a JSON array.")
@click.pass_obj
def products_list(state: State, vendor_id: str | None, as_json: bool) -> None:
    """List the products you may see (all pages): public ones, and your vendors' own.

    Needs no token; without one, only public products are listed.
    """
    api = state.api(public=True)
    path = vendor_path(vendor_id, "products") if vendor_id else "v2/products"
    found = list(api.items(path))
    if as_json:
        echo_json(found)
    elif not found:
        click.echo("no products")
    else:
        rows = [(p["id"], p["name"], p["product_type"], _yes_no(p["public"]), p["vendor"]["name"]) for p in found]
        click.echo(table(PRODUCT_COLUMNS, rows))


@click.group("versions")
def versions_group() -> None:
    """Create and list a product's versions (what results name with --product-version)."""


@versions_group.command("create")
@click.argument("product_id")
@click.argument("version")
@click.option("--cpid", metavar="CPID", help="The cloud's id (Keystone's), as RefStack uploads name it.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def versions_create(state: State, product_id: str, version: str, cpid: str | None, as_json: bool) -> None:
    """Add VERSION (e.g. 2026.1) to the product PRODUCT_ID."""
    body: dict[str, Any] = {"version": version}
    if cpid is not None:
        body["cpid"] = cpid
    created = state.api().post(product_path(product_id, "versions"), body)
    if as_json:
        echo_json(created)
        return
    click.echo(
        fields(
            [
                ("ID", created["id"]),
                ("Version", created["version"]),
                ("Product", created["product_id"]),
                ("Cpid", created.get("cpid") or "-"),
            ]
        )
    )


@versions_group.command("list")
@click.argument("product_id")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as a JSON array.")
@click.pass_obj
def versions_list(state: State, product_id: str, as_json: bool) -> None:
    """List the versions of the product PRODUCT_ID (all pages).

    A public product's versions need no token; their cpid is shown to the vendor's members only.
    """
    found = list(state.api(public=True).items(product_path(product_id, "versions")))
    if as_json:
        echo_json(found)
    elif not found:
        click.echo(f"product {product_id} has no versions")
    else:
        rows = [(v["id"], v["version"], v.get("cpid") or "-", str(v["created_at"])[:10]) for v in found]
        click.echo(table(VERSION_COLUMNS, rows))
