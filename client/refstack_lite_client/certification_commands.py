"""``refstack-lite-client certifications`` (list, show, and the foundation's revoke) and
``programs list``. Certifications and programs are public reads: no token is needed, and one
that is set shows what its owner may see besides."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from refstack_lite_client.certification_views import (
    CERTIFICATION_COLUMNS,
    CERTIFICATION_STATUSES,
    CERTIFICATIONS,
    certification_fields,
    certification_path,
    certification_row,
    query,
)
from refstack_lite_client.cli_common import echo_json, table

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

PROGRAM_COLUMNS = ("ID", "NAME", "TARGET", "ACCEPTED GUIDELINES")


@click.group("certifications")
def certifications_group() -> None:
    """List and show certifications; the foundation revokes them."""


@certifications_group.command("list")
@click.option("--vendor", "vendor_id", metavar="VENDOR_ID", help="Only this vendor's.")
@click.option("--product", "product_id", metavar="PRODUCT_ID", help="Only this product's.")
@click.option("--program", help="Only under this program.")
@click.option("--guideline", help="Only resting on this guideline, e.g. 2020.06.")
@click.option("--status", "wanted", type=click.Choice(CERTIFICATION_STATUSES), help="Only in this status now.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def certifications_list(
    state: State,
    vendor_id: str | None,
    product_id: str | None,
    program: str | None,
    guideline: str | None,
    wanted: str | None,
    as_json: bool,
) -> None:
    """Certifications you may see, with their status now, oldest decision first."""
    filters = query(vendor=vendor_id, product=product_id, program=program, guideline=guideline, status=wanted)
    found = list(state.api(public=True).items(CERTIFICATIONS + filters))
    if as_json:
        echo_json(found)
    elif not found:
        click.echo("no certifications")
    else:
        click.echo(table(CERTIFICATION_COLUMNS, [certification_row(c) for c in found]))


@certifications_group.command("show")
@click.argument("certification_id")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def certifications_show(state: State, certification_id: str, as_json: bool) -> None:
    """One certification: what it rests on and its status now."""
    api = state.api(public=True)
    found = api.get(certification_path(certification_id))
    if as_json:
        echo_json(found)
    else:
        click.echo(certification_fields(found, api.url))


@certifications_group.command("revoke")
@click.argument("certification_id")
@click.option("--reason", required=True, help="Why the certification is revoked; the public sees it.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def certifications_revoke(state: State, certification_id: str, reason: str, as_json: bool) -> None:
    """Revoke a certification (foundation reviewers and admins); it cannot be undone."""
    api = state.api()
    revoked = api.post(certification_path(certification_id, "revoke"), {"reason": reason})
    if as_json:
        echo_json(revoked)
    else:
        click.echo(certification_fields(revoked, api.url))


@click.group("programs")
def programs_group() -> None:
    """The programs a product may be certified for."""


@programs_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def programs_list(state: State, as_json: bool) -> None:
    """Every program the server's guidelines define, with the guidelines each accepts now.

    Needs no token.
    """
    found = list(state.api(public=True).items("v2/programs"))
    if as_json:
        echo_json(found)
    elif not found:
        click.echo("no programs (the server has no guidelines yet)")
    else:
        rows = [
            (
                p["id"],
                p["name"],
                p["target"],
                ", ".join(g["name"] for g in p["accepted"]) or "-",
            )
            for p in found
        ]
        click.echo(table(PROGRAM_COLUMNS, rows))
