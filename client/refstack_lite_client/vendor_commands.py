"""``refstack-lite-client vendors``: create a vendor, list and show vendors, apply to become official.

A vendor starts private (only its members see it); a member applies, and the foundation makes
it official or denies it with a reason. Listing and showing are public reads: without a token
they show official vendors only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import click

from refstack_lite_client.cli_common import choose_vendor, echo_json, fields, table

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

VENDOR_COLUMNS = ("ID", "NAME", "STATUS", "YOUR ROLE")
NEXT_STEP = {
    "private": "apply with 'refstack-lite-client vendors apply' to become official",
    "pending": "the foundation reviews the application",
}


def vendor_path(vendor_id: str, *rest: str) -> str:
    return "/".join(["v2/vendors", quote(vendor_id, safe=""), *rest])


def vendor_fields(vendor: dict[str, Any]) -> str:
    status = vendor["status"]
    shown = [("ID", vendor["id"]), ("Name", vendor["name"])]
    if vendor.get("description"):
        shown.append(("Description", vendor["description"]))
    shown.append(("Status", f"{status} ({NEXT_STEP[status]})" if status in NEXT_STEP else status))
    if vendor.get("denial_reason"):
        shown.append(("Denied", vendor["denial_reason"]))
    if vendor.get("your_role"):
        shown.append(("Your role", vendor["your_role"]))
    return fields(shown)


@click.group("vendors")
def vendors_group() -> None:
    """Create, list and show vendors; apply to become official."""


@vendors_group.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the vendor is, for the foundation and the public.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def vendors_create(state: State, name: str, description: str, as_json: bool) -> None:
    """Create a vendor named NAME; you become its owner. It starts private."""
    body = {"name": name, **({"description": description} if description else {})}
    created = state.api().post("v2/vendors", body)
    if as_json:
        echo_json(created)
    else:
        click.echo(vendor_fields(created))


@vendors_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the vendors as a JSON array.")
@click.pass_obj
def vendors_list(state: State, as_json: bool) -> None:
    """List the vendors you may see (all pages): official ones, and your own.

    Needs no token; without one, only official vendors are listed.
    """
    found = list(state.api(public=True).items("v2/vendors"))
    if as_json:
        echo_json(found)
    elif not found:
        click.echo("no vendors")
    else:
        rows = [(v["id"], v["name"], v["status"], v.get("your_role") or "-") for v in found]
        click.echo(table(VENDOR_COLUMNS, rows))


@vendors_group.command("show")
@click.argument("vendor_id", metavar="[VENDOR_ID]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def vendors_show(state: State, vendor_id: str | None, as_json: bool) -> None:
    """Show a vendor [default: the config file's vendor, else your only vendor].

    An official vendor needs no token.
    """
    if vendor_id is None:
        api = state.api()
        vendor_id = choose_vendor(state, api, None)
    else:
        api = state.api(public=True)
    found = api.get(vendor_path(vendor_id))
    if as_json:
        echo_json(found)
    else:
        click.echo(vendor_fields(found))


@vendors_group.command("apply")
@click.option(
    "--vendor",
    "vendor_id",
    metavar="VENDOR_ID",
    help="The vendor [default: the config file's vendor, else your only vendor].",
)
@click.pass_obj
def vendors_apply(state: State, vendor_id: str | None) -> None:
    """Ask the foundation to make your vendor official (private -> pending)."""
    api = state.api()
    vendor_id = choose_vendor(state, api, vendor_id)
    click.echo(vendor_fields(api.post(vendor_path(vendor_id, "apply"))))
