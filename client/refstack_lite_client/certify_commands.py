"""``refstack-lite-client certify``: a vendor asks the foundation to certify a product version
under a program with one of its submissions, follows its requests, and withdraws one.

The server runs every automatic check at once: a refused request lists each failed check by its
stable name with what it found, and nothing is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from refstack_lite_client.api import ApiError
from refstack_lite_client.certification_views import (
    REQUEST_COLUMNS,
    REQUEST_STATES,
    REQUESTS,
    check_line,
    query,
    request_fields,
    request_path,
    request_row,
)
from refstack_lite_client.cli_common import echo_json, table

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State


def refusal(err: ApiError) -> click.ClickException:
    """The server's refusal, each failed check on a line of its own below it."""
    failed = err.extra.get("checks")
    if err.slug != "checks-failed" or not isinstance(failed, list):
        return click.ClickException(str(err))
    lines = [check_line(c) for c in failed if isinstance(c, dict)]
    return click.ClickException("\n".join([str(err), *lines]))


def show_requests(found: list[dict[str, Any]], as_json: bool, empty: str) -> None:
    if as_json:
        echo_json(found)
    elif not found:
        click.echo(empty)
    else:
        click.echo(table(REQUEST_COLUMNS, [request_row(r) for r in found]))


@click.group("certify")
def certify_group() -> None:
    """Ask for certification of a product version, follow and withdraw your requests."""


@certify_group.command("request")
@click.option("--product-version", "version_id", required=True, metavar="VERSION_ID", help="The product version.")
@click.option("--program", required=True, help="The program, e.g. powered-platform ('programs list' names them).")
@click.option("--submission", "submission_id", required=True, metavar="SUBMISSION_ID", help="Your submission.")
@click.option(
    "--guideline",
    help="The guideline the request rests on: needed for a RefStack (v1) upload, which names none.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def certify_request(
    state: State, version_id: str, program: str, submission_id: str, guideline: str | None, as_json: bool
) -> None:
    """Ask to certify a product version under a program with a submission.

    Every automatic check runs at once; a request that passes them waits for the foundation's
    review, one that fails is refused with every failed check listed.
    """
    body = {"product_version_id": version_id, "program": program, "submission_id": submission_id}
    if guideline is not None:
        body["guideline"] = guideline
    api = state.api()
    try:
        created = api.post(REQUESTS, body)
    except ApiError as err:
        raise refusal(err) from None
    if as_json:
        echo_json(created)
    else:
        click.echo(request_fields(created, api.url))


@certify_group.command("status")
@click.argument("request_id", metavar="[REQUEST_ID]", required=False)
@click.option("--vendor", "vendor_id", metavar="VENDOR_ID", help="Only this vendor's requests.")
@click.option("--product-version", "version_id", metavar="VERSION_ID", help="Only this product version's.")
@click.option("--program", help="Only requests under this program.")
@click.option("--state", "wanted", type=click.Choice(REQUEST_STATES), help="Only requests in this state.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def certify_status(
    state: State,
    request_id: str | None,
    vendor_id: str | None,
    version_id: str | None,
    program: str | None,
    wanted: str | None,
    as_json: bool,
) -> None:
    """Show one request with its checks, or list your vendors' requests (oldest first)."""
    api = state.api()
    if request_id is not None:
        if vendor_id or version_id or program or wanted:
            raise click.UsageError("the filters list requests; give a REQUEST_ID or filters, not both")
        found = api.get(request_path(request_id))
        if as_json:
            echo_json(found)
        else:
            click.echo(request_fields(found, api.url))
        return
    filters = query(vendor=vendor_id, product_version=version_id, program=program, state=wanted)
    show_requests(list(api.items(REQUESTS + filters)), as_json, "no certification requests")


@certify_group.command("withdraw")
@click.argument("request_id")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def certify_withdraw(state: State, request_id: str, as_json: bool) -> None:
    """Withdraw a pending request: it is never reviewed."""
    api = state.api()
    withdrawn = api.post(request_path(request_id, "withdraw"))
    if as_json:
        echo_json(withdrawn)
    else:
        click.echo(request_fields(withdrawn, api.url))
