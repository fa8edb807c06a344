"""Signing keys end to end with real processes: ``refstack-lite serve`` on a fresh SQLite file and
the installed ``refstack-lite-client`` console script, checked against OpenSSH's ``ssh-keygen``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import require
from tests.e2e.conftest import isolated_env, run
from tests.e2e.processes import free_port, stop, wait_until_up

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SERVER = BIN / "refstack-lite"
CLIENT = BIN / "refstack-lite-client"
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    env: dict[str, str]  # what the client processes run with: URL and token in the environment
    log: Path

    def client(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the client, which must succeed."""
        return run([str(CLIENT), *args], env=self.env, timeout=60)

    def failing_client(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(CLIENT), *args], env={**self.env, **env}, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 1, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, self.url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=10, **kwargs
        )
        assert response.ok, response.text
        return response.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``refstack-lite serve`` on a fresh, migrated SQLite file with one user, alice."""
    home = tmp_path_factory.mktemp("client-e2e")
    server_env = isolated_env(HOME=str(home), REFSTACK_LITE_DATABASE_URL=f"sqlite:///{home / 'keys.sqlite3'}")
    run([str(SERVER), "db", "upgrade"], env=server_env, cwd=home)
    token = run([str(SERVER), "users", "create", "alice", "--email", "alice@example.org"], env=server_env, cwd=home)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(SERVER), "serve", "--port", str(port)],
            cwd=home,
            env=server_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(url, proc, log, START_TIMEOUT)
        client_env = isolated_env(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "xdg"),
            REFSTACK_LITE_URL=url,
            REFSTACK_LITE_TOKEN=token.stdout.strip(),
        )
        yield Server(url, token.stdout.strip(), client_env, log)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def vendor(server: Server) -> str:
    vendor_id: str = server.api("POST", "/v2/vendors", json={"name": "E2E Clouds"})["id"]
    return vendor_id


@pytest.fixture(scope="module")
def ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    require(found is not None, "ssh-keygen (OpenSSH) is not installed")
    assert found is not None
    return found


def _printed(output: str, label: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(label)).split()[1]


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa"])
def test_keygen_register_list_revoke(server: Server, vendor: str, ssh_keygen: str, kind: str, tmp_path: Path) -> None:
    key = tmp_path / f"{kind}_key"
    made = server.client("keygen", "-f", str(key), "--type", kind, "--comment", f"e2e-{kind}")
    printed = _printed(made.stdout, "Fingerprint:")

    # OpenSSH agrees on the fingerprint and reads the private key file we wrote
    listed = run([ssh_keygen, "-lf", str(key.with_name(key.name + ".pub"))]).stdout.split()
    assert listed[1] == printed
    assert listed[2] == f"e2e-{kind}"
    derived = run([ssh_keygen, "-y", "-f", str(key)]).stdout.split()[:2]
    assert derived == key.with_name(key.name + ".pub").read_text().split()[:2]

    registered = server.client("keys", "register", "--key", str(key))  # alice's only vendor is chosen
    assert _printed(registered.stdout, "Registered:") == printed
    stored = {k["fingerprint"]: k for k in server.api("GET", f"/v2/vendors/{vendor}/keys")["items"]}
    assert stored[printed]["status"] == "active"
    assert stored[printed]["comment"] == f"e2e-{kind}"

    table = server.client("keys", "list").stdout
    print(table)  # an example of the output, for the record (pytest -s)
    row = next(line for line in table.splitlines() if line.startswith(printed))
    assert row.split()[3] == "active"

    revoked = server.client(
        "keys", "revoke", printed, "--reason", "e2e rotation", "--compromised-since", "2026-01-01T00:00:00Z"
    )
    assert revoked.stdout == f"{printed}: revoked\n"
    as_json = json.loads(server.client("keys", "list", "--json").stdout)
    (mine,) = [k for k in as_json if k["fingerprint"] == printed]
    assert mine["status"] == "revoked"
    assert mine["compromised_since"] == "2026-01-01T00:00:00Z"


def test_failures_are_one_line_without_traceback(server: Server) -> None:
    wrong = "rlt_not_a_real_token_at_all"
    done = server.failing_client("keys", "list", REFSTACK_LITE_TOKEN=wrong)
    assert done.stderr == "Error: 401 Authentication required: the API token is not known [invalid-token]\n"
    assert wrong not in done.stdout + done.stderr

    closed = f"http://127.0.0.1:{free_port()}"
    done = server.failing_client("--url", closed, "keys", "list", "--vendor", "v")
    assert done.stderr.startswith(f"Error: cannot reach {closed}: ")
    # the reason and how often it was tried; urllib3's retry warnings stay quiet
    assert done.stderr.splitlines()[1:] == ["gave up after 4 attempts; try again when the server is up"], done.stderr
    assert server.token not in done.stderr
