"""Pieces shared by the command modules: opening a private key file, reading a time option,
choosing the vendor, asking for a submission challenge, printing a table or labelled fields."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from refstack_lite_client import keys
from refstack_lite_client.api import Api

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

ENV_PASSPHRASE = "REFSTACK_LITE_KEY_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret


def load_private_key(path: Path) -> keys.PrivateKey:
    """The key at ``path``, decrypted with the passphrase from the environment or a prompt.

    Warns on stderr, like ssh, when group or others can read the file.
    """
    try:
        loose = keys.loose_permissions(path)
    except OSError:
        loose = False  # keys.load_private_key says what is wrong with the path
    if loose:
        mode = path.stat().st_mode & 0o777
        click.echo(f"warning: permissions {mode:04o} for '{path}' are too open (chmod 600 '{path}')", err=True)
    secret = os.environ.get(ENV_PASSPHRASE)
    if secret is not None:
        return keys.load_private_key(path, secret.encode("utf-8"))
    try:
        return keys.load_private_key(path)
    except keys.KeyNeedsPassphrase:
        pass
    prompted = click.prompt(f"Passphrase for {path}", hide_input=True, default="", show_default=False)
    return keys.load_private_key(path, prompted.encode("utf-8"))


def rfc3339_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: ``value`` as RFC 3339 UTC with ``Z``; a time without an offset is refused."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an RFC 3339 time such as 2026-11-25T10:00:00Z") from None
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset, so it is ambiguous: add Z or an offset such as +01:00")
    try:
        return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:
        raise click.BadParameter(f"{value!r} is out of range") from None


def choose_vendor(state: State, api: Api, given: str | None) -> str:
    """--vendor, else the config file's vendor, else the user's only vendor."""
    chosen = given or state.settings().vendor
    if chosen:
        return chosen
    me = api.get("v2/users/me")
    accepted = [v for v in me.get("vendors", []) if v.get("accepted")]
    if len(accepted) == 1:
        return str(accepted[0]["id"])
    if not accepted:
        raise click.ClickException(
            "you are not a member of any vendor: create one ('refstack-lite-client vendors create NAME') or "
            "accept an invitation, then name it with --vendor"
        )
    listing = "\n".join(f"  {v['id']}  {v['name']}" for v in accepted)
    raise click.ClickException(
        f"you are a member of {len(accepted)} vendors; choose one with --vendor VENDOR_ID "
        f'(or vendor = "..." in {state.settings().config_path}):\n{listing}'
    )


def issue_challenge(api: Api, vendor_id: str) -> dict[str, Any]:
    """A new submission challenge for the vendor, with the server's URL added (``server``)."""
    issued: dict[str, Any] = api.post("v2/challenges", {"vendor_id": vendor_id})
    return {**issued, "server": api.url}


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns under ``header``, two spaces apart."""
    every = [tuple(header), *(tuple(r) for r in rows)]
    widths = [max(len(r[i]) for r in every) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in every)


def fields(pairs: Sequence[tuple[str, str]]) -> str:
    """``Label:`` and value lines, the values lined up (as ``keys register`` prints them)."""
    return "\n".join(f"{label + ':':<12} {value}".rstrip() for label, value in pairs)


def echo_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2))
