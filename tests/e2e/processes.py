"""What the end-to-end tests share to run real servers: a free loopback port and a PostgreSQL
database of their own."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import require


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process the test started: SIGTERM, then SIGKILL when it does not go within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def postgres_base_url() -> str:
    """REFSTACK_LITE_TEST_POSTGRES_URL; skips (fails in CI) without it."""
    base = os.environ.get("REFSTACK_LITE_TEST_POSTGRES_URL")
    require(bool(base), "REFSTACK_LITE_TEST_POSTGRES_URL is not set")
    assert base is not None
    return base


@contextmanager
def own_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named after ``prefix`` and this process; dropped afterwards."""
    url = make_url(postgres_base_url())
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait for ``url``/healthz to answer 200; fail with the server's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server exited {proc.returncode}:\n{log.read_text(errors='replace')}"
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or a worker still booting
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz within {timeout}s:\n{log.read_text(errors='replace')}")


def run_worker(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``refstack-lite worker --burst`` of this environment's venv: runs the queued jobs, then exits."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "refstack-lite"), "worker", "--burst"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
