"""``refstack-lite-client verify``: check a signed bundle offline and say what it attests.

Anyone holding the bundle and the vendor's public key can check it, with no server: the
signature over the exact payload bytes, then the statement's schema. The statement's
``result`` is the run's own (FAILED when any test run failed); it is not the verdict, which the
server decides from the guideline's required tests alone, so the output says both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from refstack_lite_client import bundle, keys

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def attestation(verified: bundle.Verified) -> dict[str, Any]:
    """What a verified bundle says, in a stable shape."""
    predicate = verified.statement["predicate"]
    evidence = predicate.get("evidence", {}).get("subunit", {}).get("digest")
    return {
        "signed_by": {"fingerprint": verified.keyid, "algorithm": verified.key.algorithm},
        "envelope_digest": verified.envelope_digest,
        "guideline": predicate["guideline"],
        "target": predicate["target"],
        "product": predicate["product"],
        "challenge": predicate["challenge"],
        "started_at": predicate["startedAt"],
        "finished_at": predicate["finishedAt"],
        "result": predicate["result"],
        "tests": {
            "passed": len(predicate["passedTests"]),
            "failed": len(predicate["failedTests"]),
            "skipped": len(predicate["skippedTests"]),
        },
        "runner": predicate["runner"],
        "evidence_digest": evidence,
    }


def _lines(summary: dict[str, Any]) -> list[str]:
    signer, tests, product = summary["signed_by"], summary["tests"], summary["product"]
    made_for = ", ".join(f"{k} {v}" for k, v in product.items()) or "(no product named)"
    runner = ", ".join(f"{name} {version}" for name, version in summary["runner"].items()) or "(not named)"
    return [
        f"Verified:   signed by {signer['fingerprint']} ({signer['algorithm']})",
        f"Bundle:     {summary['envelope_digest']}",
        f"Guideline:  {summary['guideline']['id']} ({summary['guideline']['digest']}), target {summary['target']}",
        f"Product:    {made_for}",
        f"Challenge:  {summary['challenge'] or 'none (an unchallenged, offline run)'}",
        f"Run:        {summary['started_at']} to {summary['finished_at']} with {runner}",
        f"Result:     {summary['result']}: {tests['passed']} passed, {tests['failed']} failed, {tests['skipped']} skipped",
        "            (the run's own result: FAILED when any test it ran failed, required or not)",
        "Verdict:    not in the bundle: the server decides eligibility from the guideline's required",
        "            tests alone, so failures of other tests do not count ('refstack-lite-client status')",
        f"Evidence:   {summary['evidence_digest'] or '(no subunit stream attested)'}",
    ]


@click.command("verify")
@click.argument("bundle_file", metavar="BUNDLE", type=_FILE)
@click.option(
    "--public-key", "public_key", required=True, type=_FILE, help="The vendor's public key (OpenSSH .pub or PEM)."
)
@click.option("--json", "as_json", is_flag=True, help="Print what the bundle attests as JSON.")
def verify_command(bundle_file: Path, public_key: Path, as_json: bool) -> None:
    """Check BUNDLE's signature by the given key and its statement, offline; print what it attests.

    Exit status 0 when it verifies, 1 when it does not (the reason is printed).
    """
    key = keys.parse_public_key(public_key.read_bytes())
    try:
        verified = bundle.verify(bundle_file.read_bytes(), lambda keyid: key if keyid == key.fingerprint else None)
    except bundle.BundleRefused as err:
        if err.reason == "unknown-key":
            raise click.ClickException(f"not verified: {err.message}, not by {key.fingerprint}") from None
        raise click.ClickException(f"not verified ({err.reason}): {err}") from None
    summary = attestation(verified)
    click.echo(json.dumps(summary, indent=2) if as_json else "\n".join(_lines(summary)))
