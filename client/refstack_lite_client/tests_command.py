"""``refstack-lite-client tests``: the tests a guideline requires of a target, as a load list."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from refstack_lite_client import required_tests
from refstack_lite_client.guideline import CAPABILITY_STATUSES
from refstack_lite_client.run_options import guideline_options, required_list

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State


@click.command("tests")
@guideline_options
@click.option(
    "--status",
    "statuses",
    default="required",
    show_default=True,
    metavar="LIST",
    help=f"Capability statuses to list, comma-separated: {', '.join(CAPABILITY_STATUSES)}.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the list to this file  [default: standard output].",
)
@click.pass_obj
def tests_command(
    state: State,
    guideline_name: str | None,
    target: str | None,
    guideline_file: Path | None,
    statuses: str,
    output: Path | None,
) -> None:
    """Print the tests a guideline requires for a target: one 'name[id-<uuid>]' per line, aliases
    included, the load-list format 'tempest run --load-list' and 'stestr run --load-list' read.
    """
    wanted = tuple(s for s in statuses.split(",") if s)
    unknown = [s for s in wanted if s not in CAPABILITY_STATUSES]
    if unknown or not wanted:
        raise click.BadParameter(f"{statuses!r}: choose from {', '.join(CAPABILITY_STATUSES)}", param_hint="--status")
    found = required_list(state, guideline_name, target, guideline_file, wanted)
    lines = found.load_list()
    said = (
        f"{len(found.tests)} tests ({found.must_pass} must pass, {len(lines)} names with aliases) of "
        f"{found.guideline_id} ({found.digest}) for {found.target}"
    )
    if output is None:
        click.echo("".join(f"{line}\n" for line in lines), nl=False)
        click.echo(said, err=True)
        return
    try:
        required_tests.write_load_list(output, lines)
    except OSError as err:
        raise click.ClickException(f"cannot write {output}: {err.strerror}") from None
    click.echo(f"{said}: {output}", err=True)
