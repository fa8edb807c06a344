"""Pieces shared by the command modules: opening a private key file, reading a time option."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from refstack_lite_client import keys

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
