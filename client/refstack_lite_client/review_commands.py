"""``refstack-lite-client review``: the foundation's queue of certification requests, everything
a reviewer needs to decide one, and the decision (approve, or deny with a reason).

A reviewer who is a member of the request's vendor is refused by the server, and so is a
second decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from refstack_lite_client.certification_views import (
    REQUEST_STATES,
    REQUESTS,
    certification_fields,
    link,
    query,
    request_fields,
    request_path,
)
from refstack_lite_client.certify_commands import show_requests
from refstack_lite_client.cli_common import echo_json, fields

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State


def _key_line(key: dict[str, Any]) -> str:
    said = f"  {key['fingerprint']}  {key['status']}  registered {key.get('registered_at') or '-'}"
    if key.get("retired_at"):
        said += f", retired {key['retired_at']}"
    if key.get("revoked_at"):
        said += f", revoked {key['revoked_at']} ({key.get('revocation_reason') or ''})"
    if key.get("compromised_since"):
        said += f", compromised since {key['compromised_since']}"
    return said


def _verdict_lines(verdict: dict[str, Any] | None) -> list[str]:
    if verdict is None:
        return ["Verdict:     none stored for this guideline and target"]
    said = "eligible" if verdict["eligible"] else f"not eligible: {verdict.get('reason') or ''}"
    totals = verdict.get("totals") or {}
    lines = [
        f"Verdict:     {said} ({verdict['guideline']} revision {verdict['revision']}, {verdict['target']}; "
        f"{totals.get('passed', '?')} of {totals.get('required', '?')} required tests passed)",
        "Capabilities:",
    ]
    for capability in verdict.get("capabilities") or []:
        passed = capability["passed"]
        count = len(passed) if isinstance(passed, list) else passed
        missing = [*capability.get("failed", []), *capability.get("skipped", []), *capability.get("not_run", [])]
        outcome = f"passed ({count} tests)" if not missing else f"FAILED ({len(missing)} not passed, {count} passed)"
        lines.append(f"  {capability['name']} [{capability['status']}]: {outcome}")
        lines += [f"    not passed: {name}" for name in missing]
        lines += [f"    flagged, ignored: {name}" for name in capability.get("flagged_ignored", [])]
    return lines


def review_lines(review: dict[str, Any], base: str) -> list[str]:
    """What the server gives a reviewer beside the request."""
    submission = review["submission"]
    challenge = submission.get("challenge")
    signer = review.get("signer")
    lines = _verdict_lines(review.get("verdict"))
    failed = review.get("failed_tests") or []
    lines += [f"Failed tests: {len(failed)}", *(f"  {name}" for name in failed)]
    lines.append(
        fields(
            [
                ("Signer", "-" if signer is None else f"{signer['fingerprint']} ({signer['status']})"),
                ("Digest", submission["digest"]),
                ("Source", submission["source"]),
                ("Received", submission.get("received_at") or "-"),
                (
                    "Challenge",
                    "-" if challenge is None else f"{challenge['nonce']} (issued {challenge['issued_at']})",
                ),
                ("Evidence", link(base, submission.get("evidence_url"))),
                ("Document", link(base, review["guideline_document_url"])),
            ]
        )
    )
    lines += ["Vendor keys:", *(_key_line(k) for k in review.get("vendor_keys") or [])]
    return lines


@click.group("review")
def review_group() -> None:
    """The foundation's review of certification requests: list, show, approve, deny."""


@review_group.command("list")
@click.option(
    "--state",
    "wanted",
    type=click.Choice([*REQUEST_STATES, "all"]),
    default="pending",
    show_default=True,
    help="Only requests in this state.",
)
@click.option("--vendor", "vendor_id", metavar="VENDOR_ID", help="Only this vendor's requests.")
@click.option("--product-version", "version_id", metavar="VERSION_ID", help="Only this product version's.")
@click.option("--program", help="Only requests under this program.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def review_list(
    state: State, wanted: str, vendor_id: str | None, version_id: str | None, program: str | None, as_json: bool
) -> None:
    """The review queue, oldest first (pending requests unless --state says otherwise)."""
    filters = query(
        vendor=vendor_id, product_version=version_id, program=program, state=None if wanted == "all" else wanted
    )
    show_requests(list(state.api().items(REQUESTS + filters)), as_json, "no certification requests to review")


@review_group.command("show")
@click.argument("request_id")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def review_show(state: State, request_id: str, as_json: bool) -> None:
    """A request with everything needed to decide it: verdict per capability, failed and flagged
    tests, signer and key history, guideline and submission digests, challenge, evidence."""
    api = state.api()
    found = api.get(request_path(request_id))
    if as_json:
        echo_json(found)
        return
    lines = [request_fields(found, api.url)]
    if "review" in found:
        lines += review_lines(found["review"], api.url)
    click.echo("\n".join(lines))


@review_group.command("approve")
@click.argument("request_id")
@click.option("--reason", help="A note kept with the decision.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def review_approve(state: State, request_id: str, reason: str | None, as_json: bool) -> None:
    """Approve a pending request: the certification is made and shown."""
    body = {} if reason is None else {"reason": reason}
    api = state.api()
    made = api.post(request_path(request_id, "approve"), body)
    if as_json:
        echo_json(made)
    else:
        click.echo(certification_fields(made, api.url))


@review_group.command("deny")
@click.argument("request_id")
@click.option("--reason", required=True, help="Why the request is denied; the vendor sees it.")
@click.option("--json", "as_json", is_flag=True, help="Print the server's JSON.")
@click.pass_obj
def review_deny(state: State, request_id: str, reason: str, as_json: bool) -> None:
    """Deny a pending request with a reason."""
    api = state.api()
    denied = api.post(request_path(request_id, "deny"), {"reason": reason})
    if as_json:
        echo_json(denied)
    else:
        click.echo(request_fields(denied, api.url))
