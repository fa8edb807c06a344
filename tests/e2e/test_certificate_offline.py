"""A certification issued through the API, checked from files only (issue 16): a real server
process serves the certificate, the vendor's envelope and the guideline document; the server is
then stopped, and the installed ``refstack-lite-client verify-certification`` checks the chain
with nothing to reach: the foundation's signature, the log inclusion, the bundle, the guideline
and the re-computed verdict. A tampered copy fails. The server is started again to show the
status check and the monitor seeing a later revocation."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite import migrate
from refstack_lite.app import create_app
from refstack_lite.db import engine_of, make_engine
from tests.e2e.conftest import isolated_env
from tests.e2e.processes import free_port, stop, wait_until_up
from tests.foundation_keys import key_pem
from tests.functional.api_helpers import ok
from tests.functional.certification_helpers import World, certification_world
from tests.identity import bearer

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
GUIDELINE = "2020.06"


@contextmanager
def serving(env: dict[str, str], home: Path) -> Iterator[str]:
    """``refstack-lite serve`` on a free loopback port, stopped afterwards."""
    port = free_port()
    log = home / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "refstack-lite"), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc, log, 30)
        yield url
    finally:
        stop(proc)


def client_command(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = isolated_env(HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"), REFSTACK_LITE_URL="http://127.0.0.1:9")
    return subprocess.run(
        [str(BIN / "refstack-lite-client"), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def download(url: str, path: str, target: Path) -> Path:
    response = requests.get(url + path, timeout=10)
    assert response.status_code == 200, response.text
    target.write_bytes(response.content)
    return target


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, dict[str, str]]]:
    """Acme's public product certified under 2020.06 through the API, on a SQLite file that a
    server process reads as well; the environment both use (one foundation key)."""
    url = f"sqlite:///{tmp_path / 'offline.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    env = isolated_env(
        HOME=str(tmp_path),
        REFSTACK_LITE_DATABASE_URL=url,
        REFSTACK_LITE_ENV="development",
        REFSTACK_LITE_FOUNDATION_KEY=key_pem(),
    )
    app: Flask = create_app({k: v for k, v in env.items() if k.startswith("REFSTACK_LITE_")})
    app.config["TESTING"] = True
    client: FlaskClient = app.test_client()
    certified = certification_world(app, client, GUIDELINE)
    product = f"/v2/products/{certified.vendor.product_id}"
    ok(client.patch(product, json={"public": True}, headers=bearer(certified.vendor.token)))
    yield certified, env
    engine_of(app).dispose()


def test_a_certification_issued_through_the_api_is_verified_offline_from_files_only(
    world: tuple[World, dict[str, str]], tmp_path: Path
) -> None:
    certified, env = world
    certification_id = certified.certify(GUIDELINE)
    shown = subprocess.run(
        [str(BIN / "refstack-lite"), "foundation-key", "show"], env=env, capture_output=True, text=True, check=True
    )
    vkey = next(line.split()[-1] for line in shown.stdout.splitlines() if line.startswith("vkey"))
    files = tmp_path / "files"
    files.mkdir()
    with serving(env, tmp_path) as url:
        assert (
            requests.get(url + "/.well-known/refstack-lite/foundation-keys", timeout=10).json()["current"]["vkey"]
            == vkey
        )
        certificate = download(url, f"/v2/certifications/{certification_id}/certificate", files / "certificate.json")
        envelope = download(url, f"/v2/directory/certifications/{certification_id}/envelope", files / "envelope.json")
        guideline = download(url, f"/v1/guidelines/{GUIDELINE}.json", files / f"{GUIDELINE}.json")
    # The server is stopped: nothing below can reach it.
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/healthz", timeout=2)

    home = tmp_path / "customer"
    home.mkdir()
    checked = client_command(
        "verify-certification", str(certificate), "--foundation-key", vkey,
        "--bundle", str(envelope), "--guideline", str(guideline), home=home,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert certification_id in checked.stdout
    assert "eligible" in checked.stdout.lower()

    document = json.loads(certificate.read_bytes())
    payload = json.loads(base64.b64decode(document["envelope"]["payload"]))
    payload["predicate"]["certification"]["guideline"] = "2019.11"
    document["envelope"]["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    forged = files / "forged.json"
    forged.write_text(json.dumps(document))
    refused = client_command("verify-certification", str(forged), "--foundation-key", vkey, home=home)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "does not verify" in refused.stdout + refused.stderr

    state = home / "log-state.json"
    with serving(env, tmp_path) as url:
        first = client_command(
            "log", "monitor", "--state", str(state), "--server", url, "--foundation-key", vkey, home=home
        )
        assert first.returncode == 0, first.stdout + first.stderr
        revoke = f"/v2/certifications/{certification_id}/revoke"
        ok(
            certified.client.post(
                revoke, json={"reason": "the cloud no longer runs it"}, headers=bearer(certified.admin)
            )
        )
        again = client_command(
            "log", "monitor", "--state", str(state), "--server", url, "--foundation-key", vkey, home=home
        )
        assert again.returncode == 0, again.stdout + again.stderr
        online = client_command(
            "verify-certification", str(certificate), "--foundation-key", vkey, "--online", "--server", url, home=home
        )
    assert online.returncode == 1, online.stdout + online.stderr
    assert "revoked" in online.stdout + online.stderr
    assert "the cloud no longer runs it" in online.stdout + online.stderr
