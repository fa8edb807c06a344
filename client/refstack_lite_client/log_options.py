"""Options and exits shared by the commands that check the foundation's log: the pinned
foundation key, the server whose log is read, and exit status 2 for what is no verdict (a log
that cannot be reached, a state file that cannot be used)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from refstack_lite_client.api import DEFAULT_RETRIES, Api, ApiError, Unreachable
from refstack_lite_client.config import ConfigError
from refstack_lite_client.log_api import LogApi
from refstack_lite_client.log_state import StateFileError
from refstack_lite_client.transparency.note import MalformedKey
from refstack_lite_client.transparency.pinned_key import PinnedKey, parse_pinned_key

if TYPE_CHECKING:
    from refstack_lite_client.cli_state import State

F = TypeVar("F", bound=Callable[..., Any])


class CannotCheck(click.ClickException):
    """No verdict could be reached: the log could not be asked, or the state file cannot be used."""

    exit_code = 2


def _pinned(ctx: click.Context, param: click.Parameter, value: str) -> PinnedKey:
    path = Path(value).expanduser()
    try:
        text = path.read_bytes() if path.is_file() else value.encode("utf-8")
        return parse_pinned_key(text)
    except OSError as err:
        raise click.BadParameter(f"cannot read {path}: {err.strerror}") from None
    except MalformedKey as err:
        if path.is_file():
            raise click.BadParameter(f"{path}: {err}") from None
        raise click.BadParameter(f"{value!r} is no file, nor a verifier key: {err}") from None


def foundation_key_option(command: F) -> F:
    return click.option(
        "--foundation-key",
        "pinned",
        required=True,
        metavar="KEY",
        callback=_pinned,
        help="The foundation's key you pinned: its verifier key line (name+hash+key, as "
        "'refstack-lite foundation-key show' prints it), or a file holding that line or its PEM public key.",
    )(command)


def server_option(command: F) -> F:
    return click.option(
        "--server",
        metavar="URL",
        help="The server whose log to read [default: the client's --url, REFSTACK_LITE_URL or config file url].",
    )(command)


def log_of(state: State, server: str | None) -> LogApi:
    """The log of ``--server``, else of the configured server; read without a token."""
    try:
        url = server or state.settings().require_url()
    except ConfigError as err:
        raise click.UsageError(f"no server to read the log from: pass --server URL ({err})") from None
    api = Api(url, None, retries=DEFAULT_RETRIES)
    click.get_current_context().call_on_close(api.close)
    return LogApi(api)


@contextmanager
def cannot_check() -> Iterator[None]:
    """Turn a log that cannot be reached, or a state file that cannot be used, into exit status 2."""
    try:
        yield
    except Unreachable as err:
        raise CannotCheck(f"{err} (nothing was checked against the log; try again)") from None
    except ApiError as err:
        raise CannotCheck(f"the log answered {err}") from None
    except StateFileError as err:
        raise CannotCheck(str(err)) from None
