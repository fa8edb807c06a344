"""The ``refstack-lite-client`` command: make and manage signing keys, sign results, submit them."""

from __future__ import annotations

import base64
import binascii
import getpass
import json
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from refstack_lite_client import bundle, keys, results_file, submissions
from refstack_lite_client.api import Api, ApiError, Unreachable
from refstack_lite_client.certification_commands import certifications_group, programs_group
from refstack_lite_client.certify_commands import certify_group
from refstack_lite_client.cli_common import (
    ENV_PASSPHRASE,
    choose_vendor,
    issue_challenge,
    load_private_key,
    rfc3339_option,
)
from refstack_lite_client.cli_state import State
from refstack_lite_client.config import ConfigError, config_dir
from refstack_lite_client.import_command import import_command
from refstack_lite_client.junit_results import CorruptReport
from refstack_lite_client.log_commands import log_group
from refstack_lite_client.product_commands import products_group, versions_group
from refstack_lite_client.required_tests import RequiredTestsError
from refstack_lite_client.review_commands import review_group
from refstack_lite_client.run_command import run_command
from refstack_lite_client.runner import RunnerError
from refstack_lite_client.sign_command import ChallengeFileError, sign_command
from refstack_lite_client.status_command import status_command
from refstack_lite_client.submit_command import submissions_group, submit_command
from refstack_lite_client.subunit_results import CorruptStream
from refstack_lite_client.tests_command import tests_command
from refstack_lite_client.vendor_commands import vendors_group
from refstack_lite_client.verify_certification_command import verify_certification_command
from refstack_lite_client.verify_command import verify_command

DEFAULT_KEY_NAME = "signing_key"
DEFAULT_RSA_BITS = 4096
FINGERPRINT_PREFIX = "SHA256:"


class ChallengeRefused(Exception):
    """The server asked the key to sign something other than this key's registration for this vendor."""


# Failures with a message fit for a person: shown as one line on stderr, exit status 1.
EXPECTED_ERRORS = (
    ApiError,
    Unreachable,
    ConfigError,
    keys.KeyFileError,
    keys.KeyRefused,
    ChallengeRefused,
    results_file.ResultsFileError,
    ChallengeFileError,
    bundle.BundleRefused,
    submissions.EvidenceRefused,
    RequiredTestsError,
    RunnerError,
    CorruptStream,
    CorruptReport,
    OSError,  # a file that cannot be written (a full disk, read-only media): its reason and name
)


class _Group(click.Group):
    """Turns the errors a user can act on into ``Error: <message>``, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Unreachable as err:
            tries = f"{err.attempts} attempts" if err.attempts != 1 else "1 attempt"
            raise click.ClickException(f"{err}\ngave up after {tries}; try again when the server is up") from None
        except EXPECTED_ERRORS as err:
            raise click.ClickException(str(err)) from None


@click.group(cls=_Group)
@click.option("--url", metavar="URL", help="The server, e.g. https://refstack.example.org [env: REFSTACK_LITE_URL].")
@click.option("--token", metavar="TOKEN", help="An API token (rlt_...) [env: REFSTACK_LITE_TOKEN].")
@click.option(
    "--config",
    metavar="FILE",
    help="The config file [env: REFSTACK_LITE_CONFIG; default: $XDG_CONFIG_HOME/refstack-lite/client.toml].",
)
@click.version_option(package_name="refstack-lite-client")
@click.pass_context
def main(ctx: click.Context, url: str | None, token: str | None, config: str | None) -> None:
    """Client for refstack-lite.

    Settings come from the flags, then the environment, then the TOML config file
    (keys: url, token, vendor).
    """
    ctx.obj = State(url, token, config)


# --- keygen -----------------------------------------------------------------------------------


def _default_key_path() -> Path:
    return config_dir() / DEFAULT_KEY_NAME


def _default_comment() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (OSError, KeyError):  # no user name in a bare container
        return ""


def _single_line(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise click.BadParameter("a key comment must be a single line")
    return value


def _new_passphrase() -> bytes:
    secret = os.environ.get(ENV_PASSPHRASE)
    if secret is None:
        secret = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True, default="", show_default=False)
    if not secret:
        raise click.UsageError(f"the passphrase is empty; give one (or {ENV_PASSPHRASE}), or use --no-passphrase")
    return secret.encode("utf-8")


def _refuse_overwrite(path: Path) -> None:
    for existing in (path, path.with_name(path.name + ".pub")):
        if existing.exists():
            raise click.ClickException(f"{existing} already exists; refusing to overwrite it (choose another -f FILE)")


@main.command()
@click.option(
    "-f",
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The private key file to write; the public key goes beside it, with .pub added. "
    "[default: $XDG_CONFIG_HOME/refstack-lite/signing_key, or ~/.config/refstack-lite/signing_key]",
)
@click.option(
    "--type",
    "kind",
    type=click.Choice(keys.KEY_TYPES),
    default="ed25519",
    show_default=True,
    help="Key type. rsa writes a PEM RSA key ('BEGIN RSA PRIVATE KEY') that refstack-client can use "
    "(not with --passphrase: refstack-client reads unencrypted keys only); the others are written in OpenSSH format.",
)
@click.option("--bits", type=int, help=f"RSA key size (RSA only; at least 2048)  [default: {DEFAULT_RSA_BITS}]")
@click.option(
    "--comment",
    default=_default_comment,
    callback=_single_line,
    help="Comment for the public key  [default: user@host].",
)
@click.option(
    "--passphrase/--no-passphrase",
    default=False,
    show_default=True,
    help=f"Encrypt the private key with a passphrase, prompted twice or taken from {ENV_PASSPHRASE}.",
)
def keygen(path: Path | None, kind: str, bits: int | None, comment: str, passphrase: bool) -> None:
    """Make a new signing key pair; never overwrites a file."""
    if bits is not None and kind != "rsa":
        raise click.UsageError("--bits applies to --type rsa only")
    if path is None:
        path = _default_key_path()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _refuse_overwrite(path)
    secret = _new_passphrase() if passphrase else None
    private = keys.generate_private_key(kind, bits or DEFAULT_RSA_BITS)
    try:
        pub_path = keys.write_private_key(path, private, secret, comment)
    except OSError as err:
        raise click.ClickException(f"cannot write {err.filename or path}: {err.strerror}") from None
    public = keys.public_key_of(private)
    click.echo(f"Private key: {path} (keep it secret{'; encrypted' if secret else ''})")
    click.echo(f"Public key:  {pub_path}")
    click.echo(f"Fingerprint: {public.fingerprint} ({public.algorithm}, {public.bits} bits)")


# --- keys ---------------------------------------------------------------------------------------


@main.group("keys")
def keys_group() -> None:
    """Register and manage a vendor's signing keys."""


vendor_option = click.option(
    "--vendor",
    "vendor_id",
    metavar="VENDOR_ID",
    help="The vendor [default: the config file's vendor, else your only vendor].",
)


def _vendor_path(vendor_id: str, *rest: str) -> str:
    return "/".join(["v2/vendors", quote(vendor_id, safe=""), "keys", *(quote(p, safe="") for p in rest)])


def registration_bytes(challenge: dict[str, Any], vendor_id: str, fingerprint: str) -> bytes:
    """The challenge's message, once proven to be exactly this key's registration for this vendor.

    The key signs only that: a server asking for anything else (another vendor, another key,
    or bytes meant for some other purpose) is refused.
    """
    if challenge.get("vendor_id") != vendor_id or challenge.get("fingerprint") != fingerprint:
        raise ChallengeRefused(
            f"refusing to sign: the server's challenge is for key {challenge.get('fingerprint')} of vendor "
            f"{challenge.get('vendor_id')}, not key {fingerprint} of vendor {vendor_id}"
        )
    try:
        message = base64.b64decode(str(challenge["message"]), validate=True)
    except (KeyError, binascii.Error):
        raise ChallengeRefused("refusing to sign: the server's challenge has no base64 message") from None
    nonce = _nonce_of(message)
    try:
        expected = keys.registration_message(vendor_id, fingerprint, nonce or "")
    except ValueError:
        expected = None
    if message != expected:
        raise ChallengeRefused(
            f"refusing to sign: the server's challenge message is not the registration of key {fingerprint} "
            f"for vendor {vendor_id}"
        )
    return message


def _nonce_of(message: bytes) -> str | None:
    lines = message.split(b"\n")
    if lines[0] != keys.REGISTRATION_DOMAIN:
        return None
    nonces = [line.removeprefix(b"nonce:") for line in lines if line.startswith(b"nonce:")]
    if len(nonces) != 1:
        return None
    try:
        return nonces[0].decode("utf-8")
    except UnicodeDecodeError:
        return None


def register_key(api: Api, vendor_id: str, private: keys.PrivateKey, comment: str = "") -> dict[str, Any]:
    """Prove possession of ``private`` to the server and register its public key for the vendor."""
    public = keys.public_key_of(private)
    public_line = f"{public.openssh} {comment}".strip()
    challenge = api.post(_vendor_path(vendor_id, "challenges"), {"public_key": public_line})
    message = registration_bytes(challenge, vendor_id, public.fingerprint)
    signature = base64.b64encode(keys.sign(private, message)).decode("ascii")
    body = {"public_key": public_line, "challenge_id": challenge["challenge_id"], "signature": signature}
    registered: dict[str, Any] = api.post(_vendor_path(vendor_id), body)
    return registered


def _comment_beside(path: Path) -> str:
    """The comment of the .pub file beside the key, which the private key file may not carry."""
    try:
        return keys.parse_public_key(path.with_name(path.name + ".pub").read_text(encoding="utf-8")).comment
    except (OSError, UnicodeDecodeError, keys.KeyRefused):
        return ""


@keys_group.command("register")
@click.option(
    "--key",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"The private key file (its passphrase is prompted for, or taken from {ENV_PASSPHRASE}).",
)
@vendor_option
@click.pass_obj
def keys_register(state: State, path: Path, vendor_id: str | None) -> None:
    """Register a key for a vendor, proving possession by signing the server's challenge."""
    private = load_private_key(path)
    api = state.api()
    vendor_id = choose_vendor(state, api, vendor_id)
    key = register_key(api, vendor_id, private, _comment_beside(path))
    click.echo(f"Registered:  {key['fingerprint']}")
    click.echo(f"Algorithm:   {key['algorithm']} ({key['bits']} bits)")
    click.echo(f"Vendor:      {key['vendor_id']}")
    click.echo(f"Status:      {key['status']}")


COLUMNS = ("FINGERPRINT", "ALGORITHM", "BITS", "STATUS", "REGISTERED", "COMMENT")


def _row(key: dict[str, Any]) -> tuple[str, ...]:
    registered = str(key.get("registered_at") or "")[:10]
    return (key["fingerprint"], key["algorithm"], str(key["bits"]), key["status"], registered, key.get("comment") or "")


def table(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns under COLUMNS, two spaces apart."""
    every = [COLUMNS, *rows]
    widths = [max(len(r[i]) for r in every) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in every]
    return "\n".join(lines)


@keys_group.command("list")
@vendor_option
@click.option("--json", "as_json", is_flag=True, help="Print the keys as a JSON array.")
@click.pass_obj
def keys_list(state: State, vendor_id: str | None, as_json: bool) -> None:
    """List the vendor's keys, whatever their status."""
    api = state.api()
    vendor_id = choose_vendor(state, api, vendor_id)
    found = list(api.items(_vendor_path(vendor_id)))
    if as_json:
        click.echo(json.dumps(found, indent=2))
    elif not found:
        click.echo(f"vendor {vendor_id} has no keys")
    else:
        click.echo(table([_row(k) for k in found]))


def normalise_fingerprint(fingerprint: str) -> str:
    """``SHA256:abc`` from ``SHA256:abc``, ``sha256:abc`` or ``abc``."""
    bare = fingerprint.strip()
    if bare[: len(FINGERPRINT_PREFIX)].upper() == FINGERPRINT_PREFIX:
        bare = bare[len(FINGERPRINT_PREFIX) :]
    return FINGERPRINT_PREFIX + bare


def _find_key(api: Api, vendor_id: str, fingerprint: str) -> dict[str, Any]:
    wanted = normalise_fingerprint(fingerprint)
    for key in api.items(_vendor_path(vendor_id)):
        if key["fingerprint"] == wanted:
            return key
    raise click.ClickException(f"vendor {vendor_id} has no key {wanted} ('keys list' shows its keys)")


def _show_change(key: dict[str, Any]) -> None:
    click.echo(f"{key['fingerprint']}: {key['status']}")


@keys_group.command("retire")
@click.argument("fingerprint")
@vendor_option
@click.pass_obj
def keys_retire(state: State, fingerprint: str, vendor_id: str | None) -> None:
    """Retire a key (rotation): it signs nothing new; what it signed stays valid."""
    api = state.api()
    vendor_id = choose_vendor(state, api, vendor_id)
    key = _find_key(api, vendor_id, fingerprint)
    _show_change(api.post(_vendor_path(vendor_id, key["id"], "retire")))


@keys_group.command("revoke")
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why the key is no longer trusted.")
@click.option(
    "--compromised-since",
    metavar="TIME",
    callback=rfc3339_option,
    help="RFC 3339 time with an offset, e.g. 2026-11-25T10:00:00Z: what the key signed since then loses standing "
    "[default: now].",
)
@vendor_option
@click.pass_obj
def keys_revoke(
    state: State, fingerprint: str, reason: str, compromised_since: str | None, vendor_id: str | None
) -> None:
    """Revoke a key: distrust it from --compromised-since (or from now)."""
    api = state.api()
    vendor_id = choose_vendor(state, api, vendor_id)
    key = _find_key(api, vendor_id, fingerprint)
    body: dict[str, Any] = {"reason": reason}
    if compromised_since is not None:
        body["compromised_since"] = compromised_since
    _show_change(api.post(_vendor_path(vendor_id, key["id"], "revoke"), body))


@main.command("challenge")
@vendor_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the challenge to this file instead of standard output.",
)
@click.pass_obj
def challenge(state: State, vendor_id: str | None, output: Path | None) -> None:
    """Ask the server for a submission challenge: a single-use nonce the next signed run carries.

    For a cloud with no outside access, save it to a file on a connected machine and carry the
    file to the machine that runs the tests.
    """
    api = state.api()
    vendor_id = choose_vendor(state, api, vendor_id)
    issued = issue_challenge(api, vendor_id)
    text = json.dumps(issued, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with output.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise click.ClickException(f"{output} exists already; name another file") from None
    click.echo(f"challenge for vendor {vendor_id}, valid until {issued['expires_at']}: {output}", err=True)


main.add_command(verify_command)
main.add_command(verify_certification_command)
main.add_command(log_group)
main.add_command(sign_command)
main.add_command(submit_command)
main.add_command(submissions_group)
main.add_command(tests_command)
main.add_command(run_command)
main.add_command(import_command)
main.add_command(status_command)
main.add_command(vendors_group)
main.add_command(products_group)
main.add_command(versions_group)
main.add_command(programs_group)
main.add_command(certify_group)
main.add_command(review_group)
main.add_command(certifications_group)
