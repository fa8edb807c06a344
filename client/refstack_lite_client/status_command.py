"""``refstack-lite-client status``: where a submission stands: its verdicts and its certifications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from refstack_lite_client import submissions
from refstack_lite_client.certification_views import CERTIFICATIONS, REQUESTS, query
from refstack_lite_client.submit_command import submission_lines

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State


def submission_id_of(value: str) -> str:
    """``value`` itself, or the id in the receipt file it names (``run.receipt.json``)."""
    path = Path(value).expanduser()
    if not path.is_file():
        if value.endswith(".json") or "/" in value:
            raise click.ClickException(f"{value}: no such receipt file (name a submission by its id or its receipt)")
        return value
    try:
        receipt = json.loads(path.read_bytes())
    except (OSError, ValueError) as err:
        raise click.ClickException(f"{path}: not a receipt file ({err})") from None
    found = receipt.get("id") if isinstance(receipt, dict) else None
    if not isinstance(found, str):
        raise click.ClickException(f"{path}: not a receipt file (it names no submission id)")
    return found


def certification_lines(certifications: list[dict[str, Any]], requests: list[dict[str, Any]]) -> list[str]:
    """Each certification resting on the submission with its status now, then each request
    naming it that made none (pending, denied or withdrawn)."""
    open_requests = [r for r in requests if r["state"] != "approved"]
    if not certifications and not open_requests:
        return ["Certification: none requested with this submission"]
    lines = ["Certifications:"]
    for item in certifications:
        said = f"  {item['program']}: {item['status']}"
        if item.get("status_since"):
            said += f" since {item['status_since']}"
        said += f" (guideline {item['guideline']['name']}, certification {item['id']})"
        lines.append(said)
        lines += [f"    {reason}" for reason in item.get("status_reasons") or []]
    for item in open_requests:
        said = f"  {item['program']}: request {item['state']} (guideline {item['guideline']['name']}, request {item['id']})"
        lines.append(said + (f": {item['reason']}" if item.get("reason") else ""))
    return lines


@click.command("status")
@click.argument("submission", metavar="ID|RECEIPT")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the server's JSON, with the certifications and requests resting on it.",
)
@click.pass_obj
def status_command(state: State, submission: str, as_json: bool) -> None:
    """Show where a submission stands: per target eligible or not (and why), and any certification.

    Name it by its id or by the receipt file 'submit' and 'run --submit' write (RUN.receipt.json).
    Exit status 0 whatever the verdicts.
    """
    submission_id = submission_id_of(submission)  # a bad receipt file is named before any server is needed
    api = state.api()
    found = submissions.get(api, submission_id)
    wanted = query(submission=submission_id)
    certifications = list(api.items(CERTIFICATIONS + wanted))
    requests = list(api.items(REQUESTS + wanted))
    if as_json:
        found = {**found, "certifications": certifications, "certification_requests": requests}
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    click.echo("\n".join([*submission_lines(found), *certification_lines(certifications, requests)]))
