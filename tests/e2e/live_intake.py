"""A real server for the intake's end-to-end tests: a database of its own, a vendor ready to
submit, and gunicorn started by ``scripts/entrypoint.sh`` as in production.

The vendor, its key and its challenges are made in-process through the API on the same
database (``ready_vendor``); the bundles then go to the gunicorn workers over HTTP.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from refstack_lite import migrate
from refstack_lite.app import create_app
from refstack_lite.db import engine_of, make_engine
from tests.conftest import REPO
from tests.e2e.processes import free_port
from tests.foundation_keys import key_pem
from tests.functional.submission_helpers import Vendor, ready_vendor
from tests.identity import make_user

ENTRYPOINT = REPO / "scripts" / "entrypoint.sh"
START_TIMEOUT = 45.0
STOP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 60.0


def psycopg_dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy ``postgresql+psycopg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def prepared_vendor(url: str) -> tuple[Vendor, Any]:
    """Migrate ``url`` and make alice's vendor, ready to submit; the in-process app is returned too
    (dispose its engine with ``engine_of(app).dispose()``)."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    app = create_app({"REFSTACK_LITE_DATABASE_URL": url})
    app.config["TESTING"] = True
    token = make_user(app, "alice")
    return ready_vendor(app, app.test_client(), token), app


@dataclass
class Server:
    """gunicorn started by the entrypoint, in its own process group."""

    port: int
    log: Path
    proc: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The master's children: gunicorn's workers."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == self.proc.pid:
                found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL master and workers at once: no worker finishes what it was doing."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=STOP_TIMEOUT)

    def post(self, body: bytes, token: str) -> tuple[int, dict[str, Any]]:
        """POST a bundle to /v2/submissions on a connection of its own; the status and JSON body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(
                "POST",
                "/v2/submissions",
                body=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {"unparsed": data.decode(errors="replace")}


@contextmanager
def running_server(
    database_url: str, folder: Path, *, workers: int, threads: int = 1, **settings: str
) -> Iterator[Server]:
    """``scripts/entrypoint.sh`` in production mode with ``workers`` (WEB_CONCURRENCY) processes,
    each with ``threads`` threads (gunicorn's gthread worker when more than one); ``settings``
    add to or replace its environment."""
    folder.mkdir(parents=True, exist_ok=True)
    runtime = folder / "run"  # gunicorn's control socket goes here, not into ~/.gunicorn
    runtime.mkdir(mode=0o700, exist_ok=True)
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REFSTACK_LITE_")},
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        "HOME": str(folder),
        "XDG_RUNTIME_DIR": str(runtime),
        "REFSTACK_LITE_ENV": "production",
        "REFSTACK_LITE_SECRET_KEY": secrets.token_hex(32),
        "REFSTACK_LITE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REFSTACK_LITE_FOUNDATION_KEY": key_pem(),
        "REFSTACK_LITE_DATABASE_URL": database_url,
        "REFSTACK_LITE_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_CMD_ARGS": f"--threads {threads} --timeout 120",
        **settings,
    }
    log = folder / f"gunicorn-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["/bin/sh", str(ENTRYPOINT)],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(port, log, proc)
    try:
        _wait_ready(server, workers)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT)


def _wait_ready(server: Server, workers: int) -> None:
    """Until /healthz answers and every worker has booted."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"the entrypoint exited with {server.proc.returncode}:\n{server.output()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
            finally:
                conn.close()
        except OSError:
            time.sleep(0.1)
            continue
        if status == 200 and server.output().count("Booting worker") >= workers:
            return
        time.sleep(0.1)
    pytest.fail(f"gunicorn was not ready within {START_TIMEOUT} s:\n{server.output()}")


def dispose(app: Any) -> None:
    engine_of(app).dispose()
