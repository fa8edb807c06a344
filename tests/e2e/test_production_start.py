"""The production start, as the Dockerfile does it, without a Docker engine.

Builds both wheels with the Dockerfile's command, installs the locked run-time dependencies
(requirements/server.lock) and then the wheels (not editable, with the ``postgresql`` extra,
nothing more from an index) in a fresh virtual environment, and runs ``scripts/entrypoint.sh``:
migrations, then gunicorn. Runs on SQLite, and on PostgreSQL when
``REFSTACK_LITE_TEST_POSTGRES_URL`` is set (in its own, temporary database).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import Venv, Wheels, make_venv, run
from tests.e2e.processes import free_port, own_postgres_database
from tests.foundation_keys import key_file
from tests.locks import installed, locked_here

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheels")]  # the wheels are built once per worker

ENTRYPOINT = REPO / "scripts" / "entrypoint.sh"
SERVER_LOCK = REPO / "requirements" / "server.lock"
SECRET = secrets.token_hex(32)  # 64 characters
PUBLIC_URL = "https://refstack.example.org"
START_TIMEOUT = 45.0
STOP_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def server_venv(wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """Both wheels installed as the Dockerfile installs them: the lock first, then the wheels with
    no index, so a dependency the lock lacks fails here."""
    venv = make_venv(tmp_path_factory.mktemp("server-venv"), "--require-hashes", "-r", str(SERVER_LOCK))
    venv.pip_install("--no-index", str(wheels.client), f"{wheels.server}[postgresql]")
    return venv


# --- the wheels and what the installed packages read --------------------------------------------


def _source_files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    }


def test_server_wheel_carries_the_package_migrations_and_schemas(wheels: Wheels) -> None:
    with zipfile.ZipFile(wheels.server) as wheel:
        names = set(wheel.namelist())
    wanted = {"refstack_lite/" + name for name in _source_files(REPO / "refstack_lite")}
    wanted |= {"refstack_lite/migrations/" + name for name in _source_files(REPO / "migrations")}
    wanted |= {"refstack_lite/schemas/" + name for name in _source_files(REPO / "schemas")}
    assert wanted - names == set(), "files missing from the server wheel"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("tests/", "client/", "scripts/", "instance/"))]


def test_client_wheel_carries_the_package_and_schemas(wheels: Wheels) -> None:
    with zipfile.ZipFile(wheels.client) as wheel:
        names = set(wheel.namelist())
        for name in _source_files(REPO / "schemas"):
            # the copy in the wheel is the repository's file, byte for byte
            assert wheel.read("refstack_lite_client/schemas/" + name) == (REPO / "schemas" / name).read_bytes()
    wanted = {"refstack_lite_client/" + n for n in _source_files(REPO / "client" / "refstack_lite_client")}
    wanted |= {"refstack_lite_client/schemas/" + n for n in _source_files(REPO / "schemas")}
    assert wanted - names == set(), "files missing from the client wheel"
    assert not [n for n in names if n.startswith("refstack_lite/")]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


INSTALLED_PATHS = """
import json
from importlib import resources

import refstack_lite
import refstack_lite_client
from refstack_lite import migrate
from refstack_lite_client import schemas

validator = schemas.validator("guideline.v1.schema.json")
demo = resources.files("refstack_lite") / "demo_data"
document = json.loads((demo / "widgets.2026.05.json").read_bytes())
print(json.dumps({
    "server": refstack_lite.__file__,
    "client": refstack_lite_client.__file__,
    "schema_dir": str(schemas.schema_dir()),
    "schema_names": schemas.schema_names(),
    "validator": type(validator).META_SCHEMA["$id"],
    "demo_is_valid": validator.is_valid(document),
    "migrations_dir": str(migrate.migrations_dir()),
    "demo_data": str(demo),
}))
"""


def test_installed_packages_read_their_own_files(server_venv: Venv) -> None:
    site = server_venv.site_packages()
    found = server_venv.python_json(INSTALLED_PATHS)
    for key in ("server", "client", "schema_dir", "migrations_dir", "demo_data"):
        path = Path(found[key]).resolve()
        assert path.is_relative_to(site.resolve()), f"{key} is {path}, not inside {site}"
        assert not path.is_relative_to(REPO), f"{key} is read from the source tree: {path}"
    assert Path(found["schema_dir"]).name == "schemas"
    assert (Path(found["migrations_dir"]) / "env.py").is_file()
    assert found["schema_names"] == sorted(p.name for p in (REPO / "schemas").iterdir())
    assert found["validator"] == "https://json-schema.org/draft/2020-12/schema"
    assert found["demo_is_valid"] is True


def test_the_image_has_exactly_the_locked_versions(server_venv: Venv) -> None:
    """What production runs is what CI tested: every run-time package at its locked version."""
    ours = frozenset({"refstack-lite", "refstack-lite-client", "pip", "setuptools", "wheel"})
    assert installed(server_venv.python, leave_out=ours) == locked_here("server.lock")


def test_installed_command_line(server_venv: Venv) -> None:
    done = run([str(server_venv.bin / "refstack-lite"), "--version"], cwd=server_venv.workdir, env=server_venv.env())
    assert "0.1.0" in done.stdout
    assert (server_venv.bin / "gunicorn").is_file()


# --- the production start ---------------------------------------------------------------------


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Started:
    port: int
    env: dict[str, str]
    vkey: str  # the foundation key's, as ``refstack-lite foundation-key generate`` printed it
    log: Path
    proc: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(params=["sqlite", "postgresql"])
def production_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind. PostgreSQL gets its own database, dropped afterwards."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "production.sqlite3")
        return
    with own_postgres_database("rl_e2e") as url:
        yield url


def _start_entrypoint(server_venv: Venv, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``scripts/entrypoint.sh`` in its own process group, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(ENTRYPOINT)],
            cwd=server_venv.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def started(server_venv: Venv, production_database_url: str, tmp_path: Path) -> Iterator[Started]:
    """``scripts/entrypoint.sh`` running in production mode from the installed wheels."""
    runtime = tmp_path / "run"  # gunicorn's control socket goes here, not into ~/.gunicorn
    runtime.mkdir(mode=0o700)
    port = free_port()
    key = tmp_path / "foundation.pem"
    generated = run(
        [str(server_venv.bin / "refstack-lite"), "foundation-key", "generate", str(key)],
        cwd=server_venv.workdir,
        env=server_venv.env(HOME=str(tmp_path), REFSTACK_LITE_PUBLIC_URL=PUBLIC_URL),
    )
    env = server_venv.env(
        HOME=str(tmp_path),
        XDG_RUNTIME_DIR=str(runtime),
        REFSTACK_LITE_ENV="production",
        REFSTACK_LITE_SECRET_KEY=SECRET,
        REFSTACK_LITE_PUBLIC_URL=PUBLIC_URL,
        REFSTACK_LITE_FOUNDATION_KEY_FILE=str(key),
        REFSTACK_LITE_DATABASE_URL=production_database_url,
        REFSTACK_LITE_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    log = tmp_path / "entrypoint.log"
    proc = _start_entrypoint(server_venv, env, log)
    server = Started(port, env, generated.stdout.strip(), log, proc)
    try:
        yield server
    finally:
        if proc.poll() is None:  # the test failed before stopping it
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)


def _wait_healthy(server: Started) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"the entrypoint exited with {server.proc.returncode}:\n{server.output()}")
        try:
            status, body = _get(server.port, "/healthz")
        except OSError:
            time.sleep(0.1)
            continue
        assert status == 200, body
        assert json.loads(body) == {"status": "ok", "version": "0.1.0"}
        return
    pytest.fail(f"gunicorn did not answer /healthz within {START_TIMEOUT} s:\n{server.output()}")


def _stop(server: Started) -> int:
    server.proc.send_signal(signal.SIGTERM)
    return server.proc.wait(timeout=STOP_TIMEOUT)


def test_entrypoint_migrates_and_serves(server_venv: Venv, started: Started) -> None:
    _wait_healthy(started)
    output = started.output()
    assert "database is at the latest revision" in output
    assert output.count("Booting worker") == 2, output  # WEB_CONCURRENCY

    demo = server_venv.python_json(
        "import json; from importlib import resources; "
        "print(json.dumps(str(resources.files('refstack_lite') / 'demo_data')))"
    )
    assert Path(demo).is_relative_to(server_venv.site_packages())
    imported = run(
        [str(server_venv.bin / "refstack-lite"), "guidelines", "import", demo],
        cwd=server_venv.workdir,
        env=started.env,
        timeout=60,
    )
    assert "created   widgets.2025.11 revision 1" in imported.stdout
    assert "created   widgets.2026.05 revision 1" in imported.stdout

    status, body = _get(started.port, "/v1/guidelines")
    assert status == 200, body
    listed = json.loads(body)
    assert listed["widgets"] == [
        {"name": "2025.11.json", "file": "widgets.2025.11.json"},
        {"name": "2026.05.json", "file": "widgets.2026.05.json"},
    ]
    assert listed["powered"] == []
    # The key the operator made is the one published, by every worker.
    assert started.vkey.startswith("refstack.example.org+")
    for _ in range(4):
        status, body = _get(started.port, "/.well-known/refstack-lite/foundation-keys")
        assert status == 200, body
        assert json.loads(body)["current"]["vkey"] == started.vkey
    shown = run(
        [str(server_venv.bin / "refstack-lite"), "foundation-key", "show"],
        cwd=server_venv.workdir,
        env=started.env,
    )
    assert f"vkey         {started.vkey}\n" in shown.stdout
    # Both workers answer from the shared database; pages prove templates and static files shipped.
    for _ in range(4):
        assert _get(started.port, "/v2/guidelines/widgets.2026.05")[0] == 200
    status, page = _get(started.port, "/guidelines")
    assert status == 200
    assert b"widgets.2026.05" in page
    stylesheets = re.findall(rb'href="([^"]+\.css)"', page)
    assert stylesheets
    for href in stylesheets:
        status, css = _get(started.port, href.decode())
        assert status == 200, href
        assert css

    assert _stop(started) == 0, started.output()
    assert "Shutting down: Master" in started.output()


def _refused_start(server_venv: Venv, tmp_path: Path, **settings: str) -> str:
    """Run the entrypoint in production mode with ``settings``; it must refuse to start. Its stderr."""
    database = tmp_path / "never.sqlite3"
    env = server_venv.env(
        HOME=str(tmp_path),
        XDG_RUNTIME_DIR=str(tmp_path),
        REFSTACK_LITE_ENV="production",
        REFSTACK_LITE_DATABASE_URL="sqlite:///" + str(database),
        REFSTACK_LITE_BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY="2",
        **settings,
    )
    done = subprocess.run(
        [str(ENTRYPOINT)],
        cwd=server_venv.workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "Starting gunicorn" not in done.stdout + done.stderr
    assert not database.exists()
    return done.stderr


@pytest.mark.parametrize("secret", [None, "too-short", "refstack-lite-development-secret"])
def test_entrypoint_refuses_production_without_a_real_secret(
    server_venv: Venv, tmp_path: Path, secret: str | None
) -> None:
    settings = {"REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL}
    if secret is not None:
        settings["REFSTACK_LITE_SECRET_KEY"] = secret
    assert "REFSTACK_LITE_SECRET_KEY" in _refused_start(server_venv, tmp_path, **settings)


def test_entrypoint_refuses_production_without_a_foundation_key(server_venv: Venv, tmp_path: Path) -> None:
    stderr = _refused_start(server_venv, tmp_path, REFSTACK_LITE_SECRET_KEY=SECRET, REFSTACK_LITE_PUBLIC_URL=PUBLIC_URL)
    assert "production mode needs the foundation's signing key: set REFSTACK_LITE_FOUNDATION_KEY_FILE" in stderr
    assert "openssl genpkey -algorithm ed25519 -out foundation.pem" in stderr


def test_entrypoint_refuses_an_unusable_foundation_key(server_venv: Venv, tmp_path: Path) -> None:
    public = tmp_path / "foundation.pub"
    public.write_text(
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
    )
    stderr = _refused_start(
        server_venv,
        tmp_path,
        REFSTACK_LITE_SECRET_KEY=SECRET,
        REFSTACK_LITE_PUBLIC_URL=PUBLIC_URL,
        REFSTACK_LITE_FOUNDATION_KEY_FILE=str(public),
    )
    assert f"REFSTACK_LITE_FOUNDATION_KEY_FILE ({public}): this is a public key; give the private key" in stderr


@pytest.mark.parametrize("public_url", [None, "https://refstack.example.org/refstack"])
def test_entrypoint_refuses_production_without_a_public_url(
    server_venv: Venv, tmp_path: Path, public_url: str | None
) -> None:
    settings = {"REFSTACK_LITE_SECRET_KEY": SECRET}
    if public_url is not None:
        settings["REFSTACK_LITE_PUBLIC_URL"] = public_url
    assert "REFSTACK_LITE_PUBLIC_URL" in _refused_start(server_venv, tmp_path, **settings)


def test_gunicorn_listens_on_loopback_by_default(server_venv: Venv, tmp_path: Path) -> None:
    """Without REFSTACK_LITE_BIND, gunicorn binds 127.0.0.1:8000, never a public interface: it
    listens there, or finds that port of loopback taken by another process."""
    env = server_venv.env(
        HOME=str(tmp_path),
        XDG_RUNTIME_DIR=str(tmp_path),
        REFSTACK_LITE_ENV="production",
        REFSTACK_LITE_SECRET_KEY=SECRET,
        REFSTACK_LITE_PUBLIC_URL=PUBLIC_URL,
        REFSTACK_LITE_FOUNDATION_KEY_FILE=str(key_file(tmp_path)),
        REFSTACK_LITE_DATABASE_URL="sqlite:///" + str(tmp_path / "default-bind.sqlite3"),
        WEB_CONCURRENCY="1",
    )
    log = tmp_path / "entrypoint.log"
    proc = _start_entrypoint(server_venv, env, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        output = ""
        while time.monotonic() < deadline and "Listening at:" not in output and "in use" not in output:
            time.sleep(0.2)
            output = log.read_text(errors="replace")
        bound = "Listening at: http://127.0.0.1:8000" in output or "Connection in use: ('127.0.0.1', 8000)" in output
        assert bound, output
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT)
