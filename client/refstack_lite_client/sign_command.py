"""``refstack-lite-client sign``: turn a results file into a signed bundle (a DSSE envelope).

Everything is checked before the key is touched and before anything is written: the results
file against its schema, the challenge, the guideline file when given, and the statement built
from them against the statement schema. Signing needs no server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from refstack_lite_client import bundle, keys, results_file, submissions
from refstack_lite_client.cli_common import ENV_PASSPHRASE, load_private_key
from refstack_lite_client.guideline import Guideline, GuidelineInvalid
from refstack_lite_client.schemas import Problem

CLOCK_SKEW = timedelta(minutes=5)  # the leeway the server allows between clocks


class ChallengeFileError(ValueError):
    """A ``--challenge`` value that names no usable challenge."""


def signed_bundle(results: bundle.Results, private: keys.PrivateKey) -> bytes:
    """The envelope bytes of ``results`` signed by ``private``.

    Raises ``bundle.BundleRefused`` (reason ``statement-schema``, every problem listed) when
    the statement built from ``results`` would be refused by any verifier.
    """
    statement = bundle.build_statement(results)
    found = bundle.statement_problems(statement)
    if found:
        raise bundle.BundleRefused("statement-schema", "the statement built from the results is not valid", found)
    return bundle.sign(bundle.encode_statement(statement), private)


def read_challenge(value: str) -> tuple[str, dict[str, object] | None]:
    """The nonce ``value`` names, and the challenge document when ``value`` is a challenge file.

    ``value`` is the file ``refstack-lite-client challenge -o FILE`` wrote, or a bare nonce.
    """
    path = Path(value).expanduser()
    if not path.is_file():
        if value.endswith(".json") or "/" in value:
            raise ChallengeFileError(f"--challenge {value}: no such file (give the challenge file or the bare nonce)")
        return value, None
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ChallengeFileError(f"{path}: not a challenge file ({err})") from None
    nonce = document.get("nonce") if isinstance(document, dict) else None
    if not isinstance(nonce, str) or not nonce:
        raise ChallengeFileError(f"{path}: not a challenge file (it has no nonce)")
    return nonce, document


def challenge_problems(started_at: datetime, challenge: dict[str, object], now: datetime) -> list[Problem]:
    """What the server would refuse about a run started at ``started_at`` under this challenge
    document: expired, or a run that started before the challenge was issued."""
    found: list[Problem] = []
    expires, issued = _time(challenge.get("expires_at")), _time(challenge.get("issued_at"))
    if expires is not None and expires <= now:
        found.append(Problem("challenge", f"expired at {challenge['expires_at']}; fetch a new one and run again"))
    if issued is not None and started_at < issued - CLOCK_SKEW:
        found.append(
            Problem(
                "challenge",
                f"was issued at {challenge['issued_at']}, after the run started: fetch the challenge before the run",
            )
        )
    return found


def guideline_problems(results: bundle.Results, guideline_file: Path) -> list[Problem]:
    """Whether ``guideline_file`` is the snapshot the results name and has their target."""
    try:
        raw = guideline_file.read_bytes()
    except OSError as err:
        return [Problem("--guideline-file", f"{guideline_file}: {err.strerror}")]
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    if digest != results.guideline_digest:
        return [
            Problem(
                "$.guideline.digest",
                f"is {results.guideline_digest}, but {guideline_file} has {digest}: the run used another snapshot",
            )
        ]
    try:
        targets = Guideline.from_bytes(raw).valid_targets()
    except GuidelineInvalid as err:
        return [Problem("--guideline-file", f"{guideline_file} is not a usable guideline: {err}")]
    if results.target not in targets:
        return [Problem("$.target", f"{results.target!r} is not a target of {guideline_file}: {', '.join(targets)}")]
    return []


def default_output(results_path: Path) -> Path:
    """``run.json`` → ``run.dsse.json``; another name gets ``.dsse.json`` added."""
    stem = results_path.name.removesuffix(".json") if results_path.suffix == ".json" else results_path.name
    return results_path.with_name(stem + submissions.BUNDLE_SUFFIX)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _refused(path: Path, message: str, problems: list[Problem]) -> click.ClickException:
    return click.ClickException(f"{path}: {message}" + "".join(f"\n  {p}" for p in problems))


def _write(output: Path, envelope: bytes, force: bool) -> None:
    try:
        if force:
            output.write_bytes(envelope)
        else:
            with output.open("xb") as file:
                file.write(envelope)
    except FileExistsError:
        raise click.ClickException(f"{output} exists already; name another file with -o, or add --force") from None
    except OSError as err:
        raise click.ClickException(f"cannot write {output}: {err.strerror}") from None


@click.command("sign")
@click.argument("results_path", metavar="RESULTS", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The private key file (its passphrase is prompted for, or taken from {ENV_PASSPHRASE}).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The bundle to write  [default: RESULTS with .json replaced by .dsse.json].",
)
@click.option("--force", is_flag=True, help="Overwrite the bundle file when it exists.")
@click.option(
    "--challenge",
    "challenge_value",
    metavar="FILE|NONCE",
    help="The challenge the run was made under: the file 'challenge -o FILE' wrote, or the bare nonce "
    "[default: the results file's challenge].",
)
@click.option(
    "--guideline-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The guideline document the run used: checks that it is the snapshot the results name and has their target.",
)
def sign_command(
    results_path: Path,
    key_path: Path,
    output: Path | None,
    force: bool,
    challenge_value: str | None,
    guideline_file: Path | None,
) -> None:
    """Sign the results file RESULTS with your key: write the bundle that 'submit' sends.

    Prints the signing key's fingerprint and the bundle's SHA-256. Nothing is written when
    the results, the challenge or the statement have a problem; every problem is listed.
    """
    loaded = results_file.load(results_path)
    results = loaded.results
    problems: list[Problem] = []
    if challenge_value is not None:
        nonce, document = read_challenge(challenge_value)
        if results.challenge is not None and results.challenge != nonce:
            raise click.ClickException(
                f"{results_path} carries challenge {results.challenge!r}, but --challenge names {nonce!r}"
            )
        results = replace(results, challenge=nonce)
        if document is not None:
            problems += challenge_problems(results.started_at, document, datetime.now(UTC))
    if guideline_file is not None:
        problems += guideline_problems(results, guideline_file)
    if problems:
        raise _refused(results_path, "cannot be signed", problems)
    statement_found = bundle.statement_problems(bundle.build_statement(results))
    if statement_found:
        raise _refused(results_path, "makes a statement that does not follow the statement schema", statement_found)
    output = output or default_output(results_path)
    if output.exists() and not force:
        raise click.ClickException(f"{output} exists already; name another file with -o, or add --force")
    private = load_private_key(key_path)
    envelope = signed_bundle(results, private)
    _write(output, envelope, force)
    click.echo(f"Signed by:  {keys.public_key_of(private).fingerprint}")
    click.echo(f"Bundle:     {output}")
    click.echo(f"SHA-256:    sha256:{hashlib.sha256(envelope).hexdigest()}")
    if results.challenge is None:
        click.echo("Challenge:  none (servers that require a challenge will refuse this bundle)")
    if loaded.evidence is not None:
        click.echo(f"Evidence:   {loaded.evidence} ({results.evidence_digest})")
        beside = submissions.evidence_beside(output)
        if not beside.exists() or not beside.samefile(loaded.evidence):
            click.echo(f"            submit it with: refstack-lite-client submit {output} --evidence {loaded.evidence}")
