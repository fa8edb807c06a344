"""``refstack-lite-client import``: a results file from a run made some other way: a subunit
stream (v1 or v2, as ``tempest run --subunit`` or refstack-client's ``upload-subunit`` read) or
a JUnit XML report (pytest, ``subunit2junitxml``, most CI runners).

A subunit file becomes the results' evidence, named by its path relative to the results file;
a JUnit report is not a subunit stream, so its results carry no evidence.
"""

from __future__ import annotations

import os
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import click

from refstack_lite_client import bundle, junit_results, results_file, subunit_results
from refstack_lite_client.cli_common import rfc3339_option
from refstack_lite_client.run_options import (
    challenge_nonce,
    guideline_options,
    require_product,
    required_list,
    subject_options,
)
from refstack_lite_client.test_results import Collected, RunContext, to_results

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

SNIFF_BYTES = 512


def detect_format(path: Path) -> str:
    """``junit`` for an XML file, else ``subunit``."""
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte order mark: XML, as subunit is never
        return "junit"
    return "junit" if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<") else "subunit"


def read_tests(path: Path, kind: str) -> Collected:
    """Every test in the file; raises ``CorruptStream`` or ``CorruptReport``."""
    if kind == "junit":
        return junit_results.read_junit(path)
    return subunit_results.read_file(path)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def default_output(source: Path) -> Path:
    return source.with_suffix(".json")


@click.command("import")
@click.argument("source", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@guideline_options
@subject_options
@click.option(
    "--format",
    "kind",
    type=click.Choice(["auto", "subunit", "junit"]),
    default="auto",
    show_default=True,
    help="What FILE is; auto tells XML from subunit.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The results file to write  [default: FILE with its suffix replaced by .json].",
)
@click.option(
    "--runner",
    "runner_label",
    default="tempest=unknown",
    show_default=True,
    metavar="NAME=VERSION",
    help="The program that ran the tests, as the results record it.",
)
@click.option(
    "--started-at",
    metavar="TIME",
    callback=rfc3339_option,
    help="When the run started (RFC 3339)  [default: the earliest time in FILE].",
)
@click.option(
    "--finished-at",
    metavar="TIME",
    callback=rfc3339_option,
    help="When the run finished (RFC 3339)  [default: the latest time in FILE].",
)
@click.pass_obj
def import_command(
    state: State,
    source: Path,
    guideline_name: str | None,
    target: str | None,
    guideline_file: Path | None,
    challenge_value: str | None,
    product_version_id: str | None,
    cpid: str | None,
    kind: str,
    output: Path | None,
    runner_label: str,
    started_at: str | None,
    finished_at: str | None,
) -> None:
    """Build a results file from the subunit stream or JUnit XML report FILE; 'sign' signs it."""
    require_product(product_version_id, cpid)
    if not source.is_file():  # a pipe would be read twice, and named as evidence by a path that is gone
        raise click.UsageError(f"{source} is not a regular file: save the stream to a file first")
    output = output or default_output(source)
    if output.resolve() == source.resolve():
        raise click.UsageError(f"the results file would overwrite {source}: name another with -o")
    if output.exists():
        raise click.ClickException(f"{output} exists already; name another file with -o")
    if not output.parent.is_dir():
        raise click.ClickException(f"cannot write {output}: there is no folder {output.parent}")
    runner_name, _, runner_version = runner_label.partition("=")
    if not runner_name:
        raise click.BadParameter(f"{runner_label!r} is not NAME=VERSION", param_hint="--runner")
    kind = detect_format(source) if kind == "auto" else kind
    collected = read_tests(source, kind)
    start = _time(started_at) or collected.first
    finish = _time(finished_at) or collected.last
    if start is None or finish is None:
        raise click.ClickException(
            f"{source} records no times: give the run's --started-at and --finished-at (RFC 3339)"
        )
    if finish < start:
        raise click.ClickException(
            f"the run would finish ({bundle.rfc3339(finish)}) before it started ({bundle.rfc3339(start)})"
        )
    required = required_list(state, guideline_name, target, guideline_file)
    context = RunContext(
        guideline_id=required.guideline_id,
        guideline_digest=required.digest,
        target=required.target,
        runner={runner_name: runner_version or "unknown"},
        tools={"refstack-lite-client": version("refstack-lite-client")},
        product_version_id=product_version_id,
        cpid=cpid,
        challenge=challenge_nonce(challenge_value, start),
    )
    results = to_results(collected, context, start, finish)
    evidence = os.path.relpath(source.resolve(), output.resolve().parent) if kind == "subunit" else None
    try:
        results_file.write(output, results, evidence=evidence)
    except OSError as err:
        raise click.ClickException(f"cannot write {output}: {err.strerror}") from None
    counts = collected.counts()
    click.echo(
        f"{output}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        + (f", {counts['unfinished']} unfinished (left out)" if counts["unfinished"] else "")
        + f" from {source} ({kind})"
    )
    if evidence is not None:
        click.echo(f"Evidence:   {source}")
    click.echo(f"Next:       refstack-lite-client sign {output} --key KEY")
