"""``refstack-lite-client log monitor``: audit the foundation's transparency log, run after run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from refstack_lite_client.check_outcome import NotVerified
from refstack_lite_client.log_api import LogAnswerError
from refstack_lite_client.log_monitor import monitor
from refstack_lite_client.log_options import CannotCheck, cannot_check, foundation_key_option, log_of, server_option
from refstack_lite_client.log_state import load_state, save_state
from refstack_lite_client.transparency.pinned_key import PinnedKey
from refstack_lite_client.transparency.tree_heads import LogConflict

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State


@click.group("log")
def log_group() -> None:
    """Watch the foundation's transparency log."""


@log_group.command("monitor")
@click.option(
    "--state",
    "state_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file keeping the last verified tree (size, root, frontier, checkpoint); made on the first run.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Read every entry again from the first, not only the new ones: catches an old entry changed in place.",
)
@server_option
@foundation_key_option
@click.pass_obj
def log_monitor(state: State, state_file: Path, full: bool, server: str | None, pinned: PinnedKey) -> None:
    """Check that the log only grew since the last run, and read every new entry.

    The new checkpoint must be signed by the pinned key, not smaller than the saved one
    (rollback) nor another tree of the same size (fork), and extend it by its consistency
    proof; the new entries, each read, must hash to its root (a rewrite does not). The state is
    saved only when all of this holds. Exit status 0 when the log is consistent, 1 when it is
    not (the message says how), 2 on bad usage or when the log cannot be reached.
    """
    with cannot_check():
        saved = load_state(state_file)
    if saved is not None and saved.frontier is None:
        raise CannotCheck(
            f"{state_file} keeps a checkpoint without the tree's frontier (a verify-certification --state file); "
            "give log monitor its own state file"
        )
    try:
        with cannot_check():
            verified = monitor(log_of(state, server), pinned, saved, click.echo, full=full)
    except (NotVerified, LogConflict, LogAnswerError) as err:
        raise click.ClickException(f"LOG NOT CONSISTENT: {err}") from None
    with cannot_check():
        save_state(state_file, verified)
    click.echo(f"OK: the log is consistent; {verified.size} entries verified, state saved to {state_file}")
