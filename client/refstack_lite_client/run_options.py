"""Options shared by ``tests``, ``run`` and ``import``: which guideline and target, from a server
or a local file, and what the results are about (challenge, product version, cpid)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from refstack_lite_client import required_tests
from refstack_lite_client.required_tests import RequiredList
from refstack_lite_client.sign_command import challenge_problems, read_challenge

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

F = TypeVar("F", bound=Callable[..., Any])


def _all_of(*options: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying ``options`` in the order given (as if stacked in that order)."""

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


# --guideline, --target, --guideline-file
guideline_options = _all_of(
    click.option(
        "--guideline",
        "guideline_name",
        metavar="NAME",
        help="The guideline, e.g. 2020.06 or dns.2020.06  [default with --guideline-file: its file name without .json].",
    ),
    click.option(
        "--target",
        metavar="TARGET",
        help="The program: platform, compute, object, or an add-on's (dns, orchestration)  [default: the "
        "guideline's only target, else platform].",
    ),
    click.option(
        "--guideline-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Read the guideline from this file instead of asking the server (no network needed).",
    ),
)

# --challenge, --product-version, --cpid
subject_options = _all_of(
    click.option(
        "--challenge",
        "challenge_value",
        metavar="FILE|NONCE",
        help="The challenge to run under: the file 'challenge -o FILE' wrote (for machines with no access to the "
        "server), or the bare nonce.",
    ),
    click.option("--product-version", "product_version_id", metavar="ID", help="The product version on the server."),
    click.option("--cpid", metavar="CPID", help="The cloud's id (Keystone's), as RefStack's cpid."),
)


def required_list(
    state: State,
    name: str | None,
    target: str | None,
    guideline_file: Path | None,
    statuses: tuple[str, ...] = ("required",),
) -> RequiredList:
    """The tests of ``target`` (None: the guideline's implied target) with these statuses: from
    ``guideline_file`` when given, else from the server, which lists them to anyone."""
    if guideline_file is not None:
        return required_tests.from_file(guideline_file, target, statuses, name=name)
    if name is None:
        raise click.UsageError("name the guideline with --guideline NAME, or give --guideline-file FILE")
    return required_tests.from_server(state.api(public=True), name, target, statuses)


def require_product(product_version_id: str | None, cpid: str | None) -> None:
    """Results must name what was tested: a signed statement without a product is refused."""
    if product_version_id is None and cpid is None:
        raise click.UsageError(
            "name what was tested with --product-version ID (your product version on the server) or --cpid CPID "
            "(the cloud's id), or both: results without either cannot be signed"
        )


def challenge_nonce(value: str | None, started_at: datetime | None = None) -> str | None:
    """The nonce of ``--challenge``, refused when its file says it has expired or came after the run."""
    if value is None:
        return None
    nonce, document = read_challenge(value)
    if document is not None:
        now = datetime.now(UTC)
        problems = challenge_problems(started_at or now, document, now)
        if problems:
            raise click.ClickException(f"--challenge {value}: " + "; ".join(p.message for p in problems))
    return nonce
