"""What the browser tests share: Debian's Chromium (``/usr/bin/chromium``, or
``REFSTACK_LITE_CHROMIUM``; never one downloaded by Playwright) with the flags it needs here, and
a real ``refstack-lite serve`` process on a database the test prepared."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import require
from tests.e2e.processes import free_port, stop

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The refstack-lite command of the environment running the tests (.venv/bin in scripts/test.sh).
CLI = Path(sys.executable).parent / "refstack-lite"


def chromium_executable() -> str:
    path = os.environ.get("REFSTACK_LITE_CHROMIUM", "/usr/bin/chromium")
    require(os.path.isfile(path) and os.access(path, os.X_OK), f"no Chromium executable at {path}")
    return path


def server_env(database_url: str) -> dict[str, str]:
    """The process environment without the tests' own settings, using ``database_url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSTACK_LITE_")}
    env["REFSTACK_LITE_DATABASE_URL"] = database_url
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    require(CLI.is_file(), f"the refstack-lite command is not at {CLI}")
    done = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"refstack-lite {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"refstack-lite serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    pytest.fail(f"refstack-lite serve did not answer /healthz in time:\n{log.read_text()}")


@contextmanager
def serving(env: dict[str, str], folder: Path, port: int | None = None) -> Iterator[str]:
    """Run ``refstack-lite serve`` on ``port`` (default: a free one) of 127.0.0.1; yields its base URL."""
    require(CLI.is_file(), f"the refstack-lite command is not at {CLI}")
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(base, proc, log, time.monotonic() + 20)
            yield base
        finally:
            stop(proc)
