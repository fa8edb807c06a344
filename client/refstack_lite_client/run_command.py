"""``refstack-lite-client run``: run the tests a guideline requires, watch them, keep the results.

The run folder holds everything a run leaves, named so that ``sign`` and ``submit`` find
their pieces: ``load-list.txt`` (the tests asked for, in the workspace's ids), ``run.subunit``
(the runner's stream, byte for byte), ``run.json`` (the results file), ``summary.json`` and
``runner.log`` (the runner's stderr). With ``--submit`` also ``run.dsse.json`` (the signed
bundle) and ``run.receipt.json`` (the server's receipt).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from refstack_lite_client import keys, progress, required_tests, results_file, runner, submissions
from refstack_lite_client.api import ApiError, Unreachable
from refstack_lite_client.cli_common import choose_vendor, issue_challenge, load_private_key
from refstack_lite_client.required_tests import ListedTest, RequiredList
from refstack_lite_client.run_options import (
    challenge_nonce,
    guideline_options,
    require_product,
    required_list,
    subject_options,
)
from refstack_lite_client.runner import RunnerCommand, RunnerError
from refstack_lite_client.sign_command import signed_bundle
from refstack_lite_client.submit_command import receipt_lines
from refstack_lite_client.test_results import Collected, RunContext, TestResult, to_results

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

LOAD_LIST_FILE = "load-list.txt"
SUMMARY_FILE = "summary.json"
LOG_FILE = "runner.log"
SUMMARY_FORMAT = "refstack-lite-run-summary/v1"
EXIT_INTERRUPTED = 130
TEMPEST_CONF = Path("etc") / "tempest.conf"


@dataclass(frozen=True)
class RunFiles:
    folder: Path
    name: str

    def path(self, suffix: str) -> Path:
        return self.folder / f"{self.name}{suffix}"

    @property
    def results(self) -> Path:
        return self.path(".json")

    @property
    def subunit(self) -> Path:
        return self.path(submissions.EVIDENCE_SUFFIX)

    @property
    def bundle(self) -> Path:
        return self.path(submissions.BUNDLE_SUFFIX)

    @property
    def receipt(self) -> Path:
        return self.path(submissions.RECEIPT_SUFFIX)


def _run_folder(given: Path | None) -> Path:
    """The run folder, checked (not made) before anything runs: new, or empty."""
    folder = given or Path("refstack-lite-runs") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise click.ClickException(f"{folder} exists and is not an empty folder; name another with --output-dir")
    return folder


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise click.ClickException(f"cannot make the run folder {folder}: {err.strerror}") from None


def _command(runner_name: str | None, command: str | None, list_command: str | None) -> RunnerCommand:
    if command is not None:
        try:
            return RunnerCommand.custom(command, list_command, runner_name or "custom")
        except RunnerError as err:
            raise click.BadParameter(str(err), param_hint="--command / --list-command") from None
    chosen = RunnerCommand.known(runner_name or runner.default_runner())
    if list_command is not None:
        try:
            lister = runner.split_command(list_command) if list_command.strip() else None
        except RunnerError as err:
            raise click.BadParameter(str(err), param_hint="--list-command") from None
        chosen = replace(chosen, lister=lister)
    return chosen


@dataclass(frozen=True)
class Plan:
    """What a run asks for: ``ids`` go into the load list; ``tests`` are the required tests they
    cover, ``missing`` those the workspace lacks; ``total`` is how many tests should run: one per
    id matched in the workspace, else one per required test (an unmatched list names each test
    by all its aliases, and at most one of them runs)."""

    ids: list[str]
    tests: list[ListedTest]
    missing: list[ListedTest]
    total: int


def _plan(required: RequiredList, command: RunnerCommand, workspace: Path) -> Plan:
    runner.prepare(command, workspace)
    if command.lister is None:
        return Plan(required.load_list(), list(required.tests), [], len(required.tests))
    click.echo(f"listing the tests of {workspace} ({' '.join(command.lister)})", err=True)
    known = runner.list_tests(command.lister, workspace)
    if not known:
        raise RunnerError(f"'{' '.join(command.lister)}' lists no tests in {workspace}: is it a Tempest workspace?")
    matched = required_tests.match_workspace(required, known)
    if not matched.ids:
        raise RunnerError(
            f"none of the {len(required.tests)} tests {required.guideline_id} requires for {required.target} "
            f"is in {workspace}: is it a Tempest workspace, of a version that has these tests?"
        )
    missing = set(matched.missing)
    covered = [test for test in required.tests if test not in missing]
    return Plan(list(matched.ids), covered, list(matched.missing), len(matched.ids))


def _configuration(workspace: Path, given: tuple[Path, ...]) -> dict[str, str]:
    """SHA-256 of each configuration file: those given, else the workspace's etc/tempest.conf when present."""
    files = list(given) or [workspace / TEMPEST_CONF]
    found = {}
    for path in files:
        try:
            found[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:
            if given:
                raise click.ClickException(f"--config-file {path}: no such file") from None
        except OSError as err:
            raise click.ClickException(f"cannot read {path}: {err.strerror}") from None
    return found


def summary_document(
    required: RequiredList,
    collected: Collected,
    *,
    argv: list[str],
    execution: runner.Execution,
    started_at: datetime,
    finished_at: datetime,
    plan: Plan,
    fixtures: Sequence[TestResult] = (),
) -> dict[str, Any]:
    """What the run did, for people and scripts: counts, failures with their reasons, tests not run."""
    reported = {required_tests.base_name(test_id) for test_id in collected.tests}
    not_run = sorted(
        test.entries()[0] for test in plan.tests if not any(name in reported for name in (test.name, *test.aliases))
    )
    tests = collected.tests.values()
    return {
        "format": SUMMARY_FORMAT,
        "guideline": {"id": required.guideline_id, "digest": required.digest},
        "target": required.target,
        "command": argv,
        "exit_status": execution.returncode,
        "interrupted": execution.interrupted,
        "started_at": started_at.isoformat().replace("+00:00", "Z"),
        "finished_at": finished_at.isoformat().replace("+00:00", "Z"),
        "seconds": round((finished_at - started_at).total_seconds(), 3),
        "asked": plan.total,
        "counts": collected.counts(),
        "not_run": not_run,
        "unfinished": sorted(t.id for t in tests if t.outcome == "unfinished"),
        "fixture_failures": [{"id": f.id, "reason": f.reason} for f in fixtures if f.outcome == "failed"],
        "fixture_skips": [{"id": f.id, "reason": f.reason} for f in fixtures if f.outcome == "skipped"],
        "not_in_workspace": [test.entries()[0] for test in plan.missing],
        "failed": [
            {"id": t.id, "reason": t.reason} for t in sorted(tests, key=lambda t: t.id) if t.outcome == "failed"
        ],
        "skipped": [
            {"id": t.id, "reason": t.reason} for t in sorted(tests, key=lambda t: t.id) if t.outcome == "skipped"
        ],
    }


def _report(summary: dict[str, Any], files: RunFiles) -> None:
    counts = summary["counts"]
    ran = counts["passed"] + counts["failed"] + counts["skipped"]
    said = "Interrupted after" if summary["interrupted"] else "Ran"
    click.echo(
        f"{said} {ran} of {summary['asked']} tests in {progress.clock(summary['seconds'])}: {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['skipped']} skipped"
    )
    for fixture in summary["fixture_failures"]:
        click.echo(f"  FIXTURE  {fixture['id']}" + (f": {fixture['reason']}" if fixture["reason"] else ""))
    for failure in summary["failed"]:
        click.echo(f"  FAILED   {failure['id']}" + (f": {failure['reason']}" if failure["reason"] else ""))
    if summary["unfinished"]:
        click.echo(f"  {len(summary['unfinished'])} were running when the run stopped (not counted)")
    if summary["not_run"]:
        click.echo(f"  {len(summary['not_run'])} asked for but not run (see {files.folder / SUMMARY_FILE})")
    if summary["not_in_workspace"]:
        click.echo(f"  {len(summary['not_in_workspace'])} required tests are not in this workspace")
    click.echo(f"Results:    {files.results}")
    click.echo(f"Evidence:   {files.subunit}")


@click.command("run")
@guideline_options
@subject_options
@click.option(
    "--workspace",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The Tempest workspace (or stestr project) to run in.",
)
@click.option(
    "--runner",
    "runner_name",
    type=click.Choice(sorted(runner.KNOWN)),
    help="Run with 'tempest run' or 'stestr run'  [default: tempest when it is on PATH, else stestr].",
)
@click.option(
    "--command",
    metavar="CMD",
    help="The whole run command, writing subunit v2 to its standard output; {load_list} is replaced by the "
    "load-list file, e.g. 'tempest run --subunit --concurrency 4 --load-list {load_list}'.",
)
@click.option(
    "--list-command",
    metavar="CMD",
    help="The command printing the workspace's test ids, one per line, which the guideline's list is matched "
    "against ('' to use the guideline's names as they are)  [default: the runner's: 'tempest run --list-tests', "
    "'stestr list'].",
)
@click.option(
    "--config-file",
    "config_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A configuration file whose SHA-256 the results record (repeatable)  [default for tempest: "
    "the workspace's etc/tempest.conf].",
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The run folder, new or empty  [default: refstack-lite-runs/<UTC time>].",
)
@click.option("--name", default="run", show_default=True, help="The file names' stem in the run folder.")
@click.option(
    "--progress",
    "progress_mode",
    type=click.Choice(["auto", "bar", "lines", "none"]),
    default="auto",
    show_default=True,
    help="A status line redrawn in place (bar), one line per test (lines), or nothing; auto: bar on a terminal.",
)
@click.option("--submit", is_flag=True, help="Fetch a challenge first, then sign the results and submit them.")
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The private key that signs (with --submit).",
)
@click.option("--vendor", "vendor_id", metavar="VENDOR_ID", help="The vendor the challenge is for (with --submit).")
@click.pass_obj
def run_command(
    state: State,
    guideline_name: str | None,
    target: str | None,
    guideline_file: Path | None,
    challenge_value: str | None,
    product_version_id: str | None,
    cpid: str | None,
    workspace: Path,
    runner_name: str | None,
    command: str | None,
    list_command: str | None,
    config_files: tuple[Path, ...],
    output_dir: Path | None,
    name: str,
    progress_mode: str,
    submit: bool,
    key_path: Path | None,
    vendor_id: str | None,
) -> None:
    """Run the tests GUIDELINE requires for TARGET and keep the results.

    Streams the runner's subunit output as it arrives and shows progress; Ctrl-C stops the
    run and keeps what ran (exit status 130). Failing tests are results, not errors: the exit
    status is 0 once the results are saved.
    """
    if submit and key_path is None:
        raise click.UsageError("--submit needs --key, the private key that signs the results")
    require_product(product_version_id, cpid)
    folder = _run_folder(output_dir)
    private = load_private_key(key_path) if submit and key_path is not None else None
    chosen = _command(runner_name, command, list_command)
    workspace = workspace.resolve()
    runner.require_program(chosen.run[0], workspace)  # before a challenge is spent on a run that cannot start
    required = required_list(state, guideline_name, target, guideline_file)
    if not required.tests:
        raise click.ClickException(f"{required.guideline_id} requires no tests of {required.target}: nothing to run")
    challenge = challenge_nonce(challenge_value)
    if submit and challenge is None:
        api = state.api()
        issued = issue_challenge(api, choose_vendor(state, api, vendor_id))
        challenge = str(issued["nonce"])
        click.echo(f"challenge {challenge[:12]}… valid until {issued['expires_at']}", err=True)
    plan = _plan(required, chosen, workspace)
    _make_folder(folder)
    files = RunFiles(folder, name)
    load_list_path = (files.folder / LOAD_LIST_FILE).resolve()
    required_tests.write_load_list(load_list_path, plan.ids)
    if plan.missing:
        click.echo(f"warning: {len(plan.missing)} required tests are not in {workspace}; they cannot pass", err=True)
    context = RunContext(
        guideline_id=required.guideline_id,
        guideline_digest=required.digest,
        target=required.target,
        # a custom command's first word may be python, env or bash: its version is not the runner's
        runner={chosen.name: runner.version_of(chosen.name) if chosen.name in runner.KNOWN else "unknown"},
        tools={"refstack-lite-client": version("refstack-lite-client"), "python-subunit": version("python-subunit")},
        product_version_id=product_version_id,
        cpid=cpid,
        challenge=challenge,
        configuration=_configuration(workspace, config_files),
    )
    argv = chosen.run_argv(load_list_path)
    shown = progress.choose(progress_mode, sys.stdout)
    collected = Collected(on_test=shown.test)
    started_at = datetime.now(UTC)
    shown.start(plan.total)
    try:
        execution = runner.execute(argv, workspace, files.subunit, files.folder / LOG_FILE, collected)
    finally:
        shown.finish()
    finished_at = datetime.now(UTC)
    fixtures = collected.take_fixtures(plan.ids)
    summary = summary_document(
        required,
        collected,
        argv=argv,
        execution=execution,
        started_at=started_at,
        finished_at=finished_at,
        plan=plan,
        fixtures=fixtures,
    )
    (files.folder / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not collected.finished_count():
        if execution.interrupted:
            click.echo(
                f"Interrupted before any test finished: nothing to keep but {files.folder / LOG_FILE}.", err=True
            )
            sys.exit(EXIT_INTERRUPTED)
        raise click.ClickException(
            f"'{' '.join(argv)}' ran no tests (exit status {execution.returncode}); its output is in "
            f"{files.folder / LOG_FILE}:\n{runner.tail(_read_log(files.folder / LOG_FILE))}"
        )
    results = to_results(collected, context, started_at, finished_at)
    results_file.write(files.results, results, evidence=files.subunit.name)
    _report(summary, files)
    if execution.interrupted:
        click.echo("Interrupted: the results hold the tests that finished; run again for a complete run.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if submit and private is not None:
        _sign_and_submit(state, files, private)
    else:
        click.echo(f"Next:       refstack-lite-client sign {files.results} --key KEY")


def _read_log(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _sign_and_submit(state: State, files: RunFiles, private: keys.PrivateKey) -> None:
    loaded = results_file.load(files.results)
    envelope = signed_bundle(loaded.results, private)
    files.bundle.write_bytes(envelope)
    click.echo(f"Bundle:     {files.bundle}")
    api = state.api()
    try:
        done = submissions.submit(api, envelope)
    except (ApiError, Unreachable) as err:
        raise click.ClickException(
            f"{err}\nthe results are signed and kept; submit them later with: "
            f"refstack-lite-client submit {files.bundle}"
        ) from None
    files.receipt.write_text(json.dumps(done.receipt, indent=2) + "\n", encoding="utf-8")
    click.echo(f"Stored:     {done.receipt['id']}" + (" (submitted before)" if done.duplicate else ""))
    click.echo("\n".join(receipt_lines(done.receipt)))
    click.echo(f"Receipt:    {files.receipt}")
    try:
        submissions.upload_evidence(api, done.receipt["id"], files.subunit.read_bytes())
    except (ApiError, Unreachable) as err:
        raise click.ClickException(
            f"submission {done.receipt['id']} is stored, but its evidence {files.subunit} was not: {err}\n"
            f"upload it with: refstack-lite-client submit {files.bundle}"
        ) from None
