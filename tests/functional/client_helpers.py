"""Running ``refstack-lite-client`` in-process against a live server, for the client's
functional tests: the server on a real socket, the command as a user types it, and checks that a
command succeeded or failed with one readable message."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from click.testing import CliRunner, Result
from refstack_lite_client.cli import main
from werkzeug.serving import make_server

ENV_NAMES = (
    "REFSTACK_LITE_URL",
    "REFSTACK_LITE_TOKEN",
    "REFSTACK_LITE_CONFIG",
    "REFSTACK_LITE_KEY_PASSPHRASE",
)
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@dataclass
class Client:
    """Runs ``refstack-lite-client`` in-process, as a user would from a shell."""

    url: str
    token: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        given = ["--url", self.url] if self.url else []
        if self.token:
            given += ["--token", self.token]
        return CliRunner(env={**self.env, **(env or {})}).invoke(main, [*given, *args], input=input)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.output}"
    return result


def fails(result: Result, status: int = 1) -> str:
    """The command failed with ``status``, one message and no traceback; its stderr."""
    assert result.exit_code == status, f"exit {result.exit_code}\n{result.output}"
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    return result.stderr
