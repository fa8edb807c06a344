"""RefStack v1 uploads against a real server: the production start (``scripts/entrypoint.sh``,
gunicorn) on a fresh SQLite file, loaded by ``../shared/perf/load_upload.py`` (an independent
RefStack upload client) and by a copy of what refstack-client's ``post_results`` and ``list`` put
on the wire, byte for byte, signing with a key made by ``refstack-lite-client keygen --type rsa``
and registered through the v2 key registration."""

from __future__ import annotations

import binascii
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.conftest import REPO, interop_path, require
from tests.e2e.conftest import isolated_env, run
from tests.e2e.processes import free_port, wait_until_up
from tests.foundation_keys import key_pem
from tests.functional.submission_helpers import required_names

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
LOAD_UPLOAD = REPO.parent / "shared" / "perf" / "load_upload.py"
START_TIMEOUT = 45.0
GUIDELINE = "2020.06"


@dataclass(frozen=True)
class Server:
    url: str
    token: str  # alice's, owner of vendor Acme
    vendor: str
    key: Path  # Acme's registered RSA key, PEM "BEGIN RSA PRIVATE KEY"

    def as_alice(self, path: str) -> Any:
        response = requests.get(self.url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to gunicorn's process group (it was started in its own session), SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("v1-e2e")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = isolated_env(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "xdg"),
        REFSTACK_LITE_DATABASE_URL=f"sqlite:///{home / 'v1.sqlite3'}",
        REFSTACK_LITE_ENV="production",
        REFSTACK_LITE_SECRET_KEY=secrets.token_hex(32),
        REFSTACK_LITE_PUBLIC_URL=url,
        REFSTACK_LITE_FOUNDATION_KEY=key_pem(),
        REFSTACK_LITE_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    env["PATH"] = os.pathsep.join([str(BIN), env["PATH"]])  # refstack-lite and gunicorn of this checkout
    run([str(BIN / "refstack-lite"), "db", "upgrade"], env=env, cwd=home)
    run(
        [str(BIN / "refstack-lite"), "guidelines", "import", str(interop_path() / f"{GUIDELINE}.json")],
        env=env,
        cwd=home,
    )
    token = run([str(BIN / "refstack-lite"), "users", "create", "alice", "--email", "a@example.org"], env=env, cwd=home)
    log = home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["/bin/sh", str(REPO / "scripts" / "entrypoint.sh")],
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(url, proc, log, START_TIMEOUT)
        secret = token.stdout.strip()
        auth = {"Authorization": f"Bearer {secret}"}
        vendor = requests.post(url + "/v2/vendors", json={"name": "Acme"}, headers=auth, timeout=10).json()["id"]
        client_env = {**env, "REFSTACK_LITE_URL": url, "REFSTACK_LITE_TOKEN": secret}
        key = home / "refstack_rsa"
        run(
            [str(BIN / "refstack-lite-client"), "keygen", "-f", str(key), "--type", "rsa", "--bits", "2048"],
            env=client_env,
        )
        assert key.read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY-----")
        run([str(BIN / "refstack-lite-client"), "keys", "register", "--key", str(key)], env=client_env)
        yield Server(url, secret, vendor, key)
    finally:
        _stop(proc)


# --- refstack-client's wire behaviour (refstack_client/refstack_client.py), reproduced --------


def post_results(url: str, content: dict[str, Any], sign_with: Path | None = None) -> requests.Response:
    """What ``RefstackClient.post_results`` sends: ``json.dumps`` with default separators, signed
    over ``data.encode('utf-8')`` with PKCS#1 v1.5 SHA-256, both headers as bytes."""
    endpoint = f"{url}/v1/results/"
    headers: dict[str, Any] = {"Content-type": "application/json"}
    data = json.dumps(content)
    if sign_with is not None:
        private = serialization.load_pem_private_key(sign_with.read_bytes(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        signature = private.sign(data.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        headers["X-Signature"] = binascii.b2a_hex(signature)
        headers["X-Public-Key"] = private.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    return requests.post(endpoint, data=data, headers=headers, timeout=30)


def yield_results(url: str, start_date: str = "", end_date: str = "", cpid: str = "") -> Iterator[list[Any]]:
    """``RefstackClient.yield_results``: pages until ``total_pages`` is the page just read."""
    endpoint = f"{url}/v1/results/"
    page = 1
    while True:
        params: dict[str, Any] = {"page": page}
        params.update({k: v for k, v in (("start_date", start_date), ("end_date", end_date), ("cpid", cpid)) if v})
        response = requests.get(endpoint, headers={"Content-type": "application/json"}, params=params, timeout=10)
        if not response.ok:
            return
        body = response.json()
        yield body.get("results", [])
        if body["pagination"]["total_pages"] == page:
            return
        page += 1


def refstack_content(cpid: str, duration: int) -> dict[str, Any]:
    """A passing 2020.06 platform run as refstack-client's subunit processor reports it."""
    results = []
    for test in required_names(GUIDELINE):
        name, _, attributes = test.partition("[")
        results.append({"name": name, "uuid": attributes.rstrip("]").removeprefix("id-")})
    return {"cpid": cpid, "duration_seconds": duration, "results": results}


# --- the tests -------------------------------------------------------------------------------


def test_refstack_clients_signed_upload_belongs_to_the_vendor_and_is_eligible(server: Server) -> None:
    content = refstack_content("acme-cloud-1", 5932)
    response = post_results(server.url, content, sign_with=server.key)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert set(answer) == {"test_id", "url"}
    assert answer["url"] == f"{server.url}/v1/results/{answer['test_id']}"

    anonymous = requests.get(answer["url"], timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["title"] == "Unauthorized"
    detail = server.as_alice(f"/v1/results/{answer['test_id']}")
    assert (detail["user_role"], detail["cpid"], detail["duration_seconds"]) == ("owner", "acme-cloud-1", 5932)
    assert sorted(detail["results"]) == sorted(item["name"] for item in content["results"])

    receipt = server.as_alice(f"/v2/submissions/{answer['test_id']}")
    assert (receipt["source"], receipt["vendor"]["id"], receipt["public"]) == ("v1", server.vendor, False)
    platform = [v for v in receipt["verdicts"] if v["guideline"] == GUIDELINE and v["target"] == "platform"]
    assert [v["eligible"] for v in platform] == [True]

    # refstack-client sends no token: the replay is refused without naming the vendor's upload
    again = post_results(server.url, content, sign_with=server.key)
    assert again.status_code == 409
    assert "test_id" not in again.json()
    assert answer["test_id"] not in again.text


def test_refstack_clients_unsigned_upload_is_listed_as_refstack_client_list_reads_it(server: Server) -> None:
    response = post_results(server.url, refstack_content("anonymous-cloud", 60))
    assert response.status_code == 201, response.text
    test_id = response.json()["test_id"]
    pages = list(yield_results(server.url))
    listed = [r for page in pages for r in page]
    assert test_id in [r["id"] for r in listed]
    for row in listed:  # what `refstack-client list` prints: "<created_at> - <url>"
        printed = "{} - {}".format(row["created_at"], row["url"])
        assert len(row["created_at"]) == len("2026-01-01 00:00:00"), printed
    assert [r["id"] for page in yield_results(server.url, cpid="anonymous-cloud") for r in page] == [test_id]
    detail = requests.get(f"{server.url}/v1/results/{test_id}", timeout=10).json()
    assert (detail["user_role"], "cpid" in detail) == ("user", False)


def test_an_independent_refstack_upload_client_loads_the_server(server: Server) -> None:
    require(LOAD_UPLOAD.is_file(), f"the RefStack upload load generator is not at {LOAD_UPLOAD}")
    before = len(server.as_alice("/v1/results/?signed")["results"])
    # six distinct bodies, six requests, no warm-up (its request would be repeated): all stored
    done = run(
        [
            sys.executable,
            str(LOAD_UPLOAD),
            "--url",
            f"{server.url}/v1/results",
            "--signed",
            "--key",
            str(server.key),
            "--tests",
            "200",
            "--pool",
            "6",
            "--max-requests",
            "6",
            "--warmup",
            "0",
            "--concurrency",
            "2",
            "--seconds",
            "20",
        ],
        cwd=LOAD_UPLOAD.parent,
        timeout=120,
    )
    summary = json.loads(done.stdout)
    print(json.dumps(summary, indent=1))  # the load generator's own account, for the record (pytest -s)
    assert summary["status_counts"] == {"201": 6}, summary
    assert summary["transport_errors"] == {}
    assert len(server.as_alice("/v1/results/?signed")["results"]) == before + 6
