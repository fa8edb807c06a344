"""``refstack-lite-client submit`` and ``submissions list|show``: send signed bundles, read receipts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from refstack_lite_client import submissions
from refstack_lite_client.api import ApiError, Unreachable
from refstack_lite_client.cli_common import rfc3339_option

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

LIST_COLUMNS = ("ID", "RECEIVED", "VENDOR", "GUIDELINE", "TARGET", "VERDICT", "PASSED", "FAILED")


# --- rendering ------------------------------------------------------------------------------------


def verdict_line(verdict: dict[str, Any], width: int = 0) -> str:
    """``platform  eligible`` or ``compute   not eligible: <reason>``, the target padded to ``width``."""
    if verdict["eligible"]:
        said = "eligible"
    else:
        said = f"not eligible: {verdict['reason']}" if verdict.get("reason") else "not eligible"
    needs = verdict.get("requires_platform") or []
    if needs:
        said += f" (needs the platform components {', '.join(needs)})"
    return f"{verdict['target'].ljust(width)}  {said}"


def outcome_counts(totals: dict[str, int], source: str) -> str:
    """``282 passed, 1 failed, 0 skipped, 1 not run``; a RefStack (v1) upload lists only the tests
    that passed, so for it the rest are not listed rather than not run."""
    said = [f"{totals['passed']} passed"]
    if source == "v1":
        said.append(f"{totals['not_run']} not listed as passed")
    else:
        said += [f"{totals['failed']} failed", f"{totals['skipped']} skipped", f"{totals['not_run']} not run"]
    if totals["flagged_ignored"]:
        said.append(f"{totals['flagged_ignored']} flagged and ignored")
    return ", ".join(said)


def required_lines(receipt: dict[str, Any]) -> list[str]:
    """Per target, the required tests by outcome: each test once, then as RefStack's report page
    counted them (once per capability listing a test), so both familiar numbers are there."""
    verdicts = sorted((v for v in receipt["verdicts"] if "totals" in v), key=lambda v: v["target"])
    if not verdicts:
        return []
    width = max(len(v["target"]) for v in verdicts)
    lines = ["Required tests (each counted once; then once per capability, as RefStack counts):"]
    for verdict in verdicts:
        totals, source = verdict["totals"], receipt["source"]
        lines.append(
            f"  {verdict['target'].ljust(width)}  {totals['required']} tests: {outcome_counts(totals, source)}"
        )
        per_capability = verdict.get("totals_per_capability")
        if per_capability:
            lines.append(
                f"  {''.ljust(width)}  {per_capability['required']} as RefStack counts: "
                f"{outcome_counts(per_capability, source)}"
            )
    return lines


def receipt_lines(receipt: dict[str, Any]) -> list[str]:
    """The receipt as a person reads it: who, what, and a verdict per target."""
    key, vendor, guideline, counts = receipt["key"], receipt["vendor"], receipt["guideline"], receipt["counts"]
    lines = [
        f"Digest:     {receipt['digest']}",
        f"Received:   {receipt['received_at']}",
        f"Signed by:  {key['fingerprint']} (key {key['status']})" if key else "Signed by:  (no key)",
        f"Vendor:     {vendor['name']} ({vendor['id']})" if vendor else "Vendor:     (none)",
    ]
    if guideline:
        lines.append(
            f"Guideline:  {guideline['name']} revision {guideline['revision']} ({guideline['digest']}), "
            f"target {receipt['target']}"
        )
    if receipt.get("product_version_id"):
        lines.append(f"Product:    version {receipt['product_version_id']}")
    lines.append(
        f"Run:        {receipt['started_at']} to {receipt['finished_at']}: {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['skipped']} skipped"
    )
    evidence = receipt.get("evidence_digest")
    lines.append(f"Evidence:   {evidence}" if evidence else "Evidence:   none named")
    lines.append("Verdicts:")
    width = max((len(v["target"]) for v in receipt["verdicts"]), default=0)
    lines += [f"  {verdict_line(v, width)}" for v in sorted(receipt["verdicts"], key=lambda v: v["target"])]
    if not receipt["verdicts"]:
        lines.append("  none")
    return lines + required_lines(receipt)


def capability_lines(verdict: dict[str, Any], source: str) -> list[str]:
    """The capabilities of a verdict with tests that did not pass, each named with what became of it."""
    labels = {
        "failed": "failed",
        "skipped": "skipped",
        "not_run": "not listed as passed" if source == "v1" else "not run",
        "flagged_ignored": "flagged, ignored",
    }
    lines = []
    for capability in verdict.get("capabilities", []):
        named = [f"      {label}: {name}" for key, label in labels.items() for name in capability.get(key, [])]
        if named:
            lines += [f"    {capability['name']} ({capability['status']})", *named]
    return lines


def _echo_json(document: object) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


# --- submit ---------------------------------------------------------------------------------------


def _evidence_for(bundle_path: Path, envelope: bytes, given: Path | None) -> tuple[bytes | None, Path | None]:
    """The subunit stream to upload: ``--evidence``, else the ``.subunit`` file beside the bundle."""
    path = given
    if path is None:
        beside = submissions.evidence_beside(bundle_path)
        if submissions.evidence_digest_of(envelope) is None or not beside.is_file():
            return None, None
        path = beside
    try:
        return path.read_bytes(), path
    except OSError as err:
        raise click.ClickException(f"cannot read the evidence {path}: {err.strerror}") from None


@click.command("submit")
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--evidence",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The run's subunit stream, whose SHA-256 the bundle names  [default: BUNDLE's name with .dsse.json "
    "replaced by .subunit, when that file exists].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the server's receipt as JSON.")
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="How often to try again when the server cannot be reached (a repeat is safe).",
)
@click.pass_obj
def submit_command(state: State, bundle_path: Path, evidence: Path | None, as_json: bool, retries: int) -> None:
    """Send the signed BUNDLE (and its evidence) to the server; print the receipt.

    Exit status 0 once the submission is stored, eligible or not, also when it had been
    stored by an earlier submit (its receipt is printed).
    """
    envelope = bundle_path.read_bytes()
    stream, stream_path = _evidence_for(bundle_path, envelope, evidence)
    if stream is not None:
        try:
            submissions.check_evidence(envelope, stream)
        except submissions.EvidenceRefused as err:
            raise click.ClickException(f"{stream_path}: {err}; nothing was sent") from None
    api = state.api(retries=retries)
    try:
        done = submissions.submit(api, envelope)
    except Unreachable as err:
        raise click.ClickException(
            f"{err}\ngave up after {err.attempts} attempt{'s' if err.attempts != 1 else ''}; "
            f"run the same submit again later: a repeat is safe"
        ) from None
    receipt = done.receipt
    beside = submissions.receipt_beside(bundle_path)
    receipt_path: Path | None = beside
    try:
        beside.write_text(json.dumps(receipt, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as err:  # read-only media: the submission is stored all the same
        click.echo(f"warning: cannot keep the receipt in {beside}: {err.strerror}", err=True)
        receipt_path = None
    if as_json:
        _echo_json(receipt)
        if done.duplicate:
            click.echo(f"submission {receipt['id']} was stored before; this is its receipt", err=True)
    else:
        said = "Already stored: " if done.duplicate else "Stored:     "
        click.echo(f"{said}{receipt['id']}" + (" (submitted before; this is its receipt)" if done.duplicate else ""))
        click.echo("\n".join(receipt_lines(receipt)))
        if receipt_path is not None:
            click.echo(f"Receipt:    {receipt_path} (refstack-lite-client status {receipt_path})")
    if stream is not None:
        try:
            uploaded = submissions.upload_evidence(api, receipt["id"], stream)
        except (ApiError, Unreachable) as err:
            raise click.ClickException(
                f"submission {receipt['id']} is stored, but its evidence {stream_path} was not: {err}\n"
                f"upload it with: refstack-lite-client submit {bundle_path} --evidence {stream_path}"
            ) from None
        click.echo(f"evidence {stream_path} uploaded ({uploaded['digest']}, {uploaded['size']} bytes)", err=True)
    elif receipt.get("evidence_digest"):
        click.echo(
            f"warning: the bundle names evidence {receipt['evidence_digest']}, but none was sent: "
            f"upload it with: refstack-lite-client submit {bundle_path} --evidence FILE",
            err=True,
        )


# --- submissions list / show ----------------------------------------------------------------------


@click.group("submissions")
def submissions_group() -> None:
    """Read the submissions you may see: your vendors' (all of them for the foundation)."""


def _list_row(item: dict[str, Any]) -> tuple[str, ...]:
    target = item.get("target") or ""
    own = [v for v in item["verdicts"] if v["target"] == target]
    verdict = ("eligible" if own[0]["eligible"] else "ineligible") if own else "-"
    guideline = item["guideline"]["name"] if item.get("guideline") else "-"
    vendor = item["vendor"]["name"] if item.get("vendor") else "-"
    counts = item["counts"]
    received = str(item["received_at"])[:19].replace("T", " ")
    return (item["id"], received, vendor, guideline, target, verdict, str(counts["passed"]), str(counts["failed"]))


def _table(rows: list[tuple[str, ...]]) -> str:
    every = [LIST_COLUMNS, *rows]
    widths = [max(len(r[i]) for r in every) for i in range(len(LIST_COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in every)


@submissions_group.command("list")
@click.option("--vendor", "vendor_id", metavar="VENDOR_ID", help="Only this vendor's submissions.")
@click.option("--guideline", metavar="NAME", help="Only submissions with a verdict under this guideline, e.g. 2020.06.")
@click.option("--target", metavar="TARGET", help="Only submissions with a verdict for this target, e.g. platform.")
@click.option(
    "--verdict",
    type=click.Choice(["eligible", "ineligible"]),
    help="Only submissions with a verdict of this outcome (for --target and --guideline when given).",
)
@click.option(
    "--since",
    metavar="TIME",
    callback=rfc3339_option,
    help="Only submissions received after this RFC 3339 time, e.g. 2026-11-25T10:00:00Z.",
)
@click.option(
    "--page-size",
    type=click.IntRange(1, 200),
    help="Submissions asked for per request (every page is read).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the submissions as a JSON array.")
@click.pass_obj
def submissions_list(
    state: State,
    vendor_id: str | None,
    guideline: str | None,
    target: str | None,
    verdict: str | None,
    since: str | None,
    page_size: int | None,
    as_json: bool,
) -> None:
    """List submissions, newest first (all pages).

    The filters together select submissions that have one verdict matching all of them:
    --target platform --verdict eligible lists the runs eligible for the platform program.
    """
    found = list(
        submissions.find(
            state.api(),
            vendor_id=vendor_id,
            guideline=guideline,
            target=target,
            verdict=verdict,
            received_after=since,
            page_size=page_size,
        )
    )
    if as_json:
        _echo_json(found)
    elif not found:
        click.echo("no submissions")
    else:
        click.echo(_table([_list_row(item) for item in found]))


@submissions_group.command("show")
@click.argument("submission_id", metavar="ID")
@click.option("--tests", "with_tests", is_flag=True, help="Also list every test by outcome.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON (with every test).")
@click.pass_obj
def submissions_show(state: State, submission_id: str, with_tests: bool, as_json: bool) -> None:
    """Show one submission: its receipt and, per target, the capabilities with failures."""
    found = submissions.get(state.api(), submission_id)
    if as_json:
        _echo_json(found)
        return
    click.echo("\n".join(submission_lines(found, with_tests)))


def submission_lines(found: dict[str, Any], with_tests: bool = False) -> list[str]:
    """A submission as ``show`` prints it: the receipt, and per target the capabilities with failures."""
    lines = [f"Submission: {found['id']} ({found['source']})", *receipt_lines(found)]
    verdicts = sorted(found["verdicts"], key=lambda v: v["target"])
    failing = [(v, capability_lines(v, found["source"])) for v in verdicts]
    if any(shown for _, shown in failing):
        lines.append("Capabilities with tests that did not pass:")
        for verdict, shown in failing:
            if shown:
                lines.append(f"  {verdict['target']}:")
                lines += shown
    if with_tests:
        for outcome in ("passed", "failed", "skipped"):
            names = found["tests"][outcome]
            lines.append(f"{outcome.capitalize()} tests ({len(names)}):")
            lines += [f"  {name}" for name in names]
    return lines
