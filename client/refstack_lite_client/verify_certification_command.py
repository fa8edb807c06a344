"""``refstack-lite-client verify-certification``: check a certificate file against the pinned
foundation key, with no network unless ``--online`` asks the log for the status now."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from refstack_lite_client import bundle
from refstack_lite_client.certification_status import ACTIVE, Status, check_online
from refstack_lite_client.certification_verification import (
    check_bundle,
    check_certificate,
    check_guideline,
    check_verdict,
)
from refstack_lite_client.check_outcome import NotVerified
from refstack_lite_client.log_api import LogAnswerError
from refstack_lite_client.log_options import cannot_check, foundation_key_option, log_of, server_option
from refstack_lite_client.transparency.certificate import Certificate
from refstack_lite_client.transparency.certificate_file import CertificateFileError, parse_certificate_file
from refstack_lite_client.transparency.pinned_key import PinnedKey
from refstack_lite_client.transparency.tree_heads import LogConflict

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
FAILURES = (NotVerified, CertificateFileError, LogConflict, LogAnswerError)


@click.command("verify-certification")
@click.argument("certificate_file", metavar="FILE", type=_FILE)
@foundation_key_option
@click.option("--guideline", "guideline_file", type=_FILE, help="The guideline document the certification rests on.")
@click.option(
    "--bundle", "bundle_file", type=_FILE, help="The vendor's signed bundle (v2) or RefStack upload body (v1)."
)
@click.option("--online", is_flag=True, help="Also ask the log for the certification's status now.")
@server_option
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --online: a file keeping the newest checkpoint verified, which the next check must extend.",
)
@click.pass_obj
def verify_certification_command(
    state: State,
    certificate_file: Path,
    pinned: PinnedKey,
    guideline_file: Path | None,
    bundle_file: Path | None,
    online: bool,
    server: str | None,
    state_file: Path | None,
) -> None:
    """Check a certificate FILE offline: the foundation's signature, its record in the log, and,
    given them, the vendor's bundle and the guideline, re-computing the verdict.

    Each check that holds prints one line. Exit status 0 when every check holds (and, with
    --online, the certification is active now), 1 when one does not (it says which), 2 when
    nothing could be checked (bad usage, a log that cannot be reached).
    """
    if (server or state_file) and not online:
        raise click.UsageError("--server and --state go with --online")
    checked_too: list[str] = []
    status: Status | None = None
    try:
        file = parse_certificate_file(certificate_file.read_bytes())
        checked = check_certificate(file, pinned, click.echo)
        certificate = checked.certificate
        tests = (
            check_bundle(certificate, bundle_file.read_bytes(), str(bundle_file), click.echo) if bundle_file else None
        )
        guideline = (
            check_guideline(certificate, guideline_file.read_bytes(), str(guideline_file), click.echo)
            if guideline_file
            else None
        )
        if tests is not None and guideline is not None:
            check_verdict(certificate, guideline, tests, click.echo)
            checked_too.append("the verdict re-computed from the bundle and the guideline")
        if online:
            with cannot_check():
                status = check_online(checked, file, pinned, log_of(state, server), state_file, click.echo)
    except FAILURES as err:
        raise click.ClickException(f"NOT VERIFIED: {err}") from None
    if status is not None and status.status != ACTIVE:
        raise click.ClickException(
            f"NOT VALID NOW: the certificate is genuine, but certification {certificate.certification_id} "
            f"is {status.said()}"
        )
    click.echo(_verdict(certificate, bundle_file, guideline_file, checked_too, status))


def _verdict(
    c: Certificate, bundle_file: Path | None, guideline_file: Path | None, checked_too: list[str], status: Status | None
) -> str:
    said = (
        f"VERIFIED: certification {c.certification_id} of {c.vendor_name} {c.product_name} {c.product_version} "
        f"(program {c.program}, target {c.target}, guideline {c.guideline}, decided {bundle.rfc3339(c.decided_at)}) "
        "is signed by the foundation and recorded in its log"
    )
    if status is not None:
        said += f"; {status.status} now"
    if checked_too:
        said += f"; {', '.join(checked_too)} agrees"
    left = [name for name, given in (("--bundle", bundle_file), ("--guideline", guideline_file)) if given is None]
    if left:
        said += f" (give {' and '.join(left)} to re-compute the verdict yourself)"
    return said
