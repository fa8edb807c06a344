"""nginx in front of gunicorn, as deploy/nginx/ ships it: slow clients wait at nginx, never in
gunicorn's sync workers (issue 11, section 5).

A real nginx (Debian's, ``/usr/sbin/nginx`` or ``REFSTACK_LITE_NGINX``) runs on a configuration
rendered into a temporary folder: its own loopback port, pid file, logs and temporary files,
serving through ``deploy/nginx/refstack-lite-proxy.conf`` unchanged, in front of gunicorn started
by ``scripts/entrypoint.sh``. A bounded slow-client attack (slowloris: connections that send one
header line at a time and never finish) then runs on loopback while ``/healthz`` is timed, through
nginx and, for comparison, against gunicorn directly.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import math
import os
import re
import select
import signal
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from refstack_lite.config import Settings
from tests.conftest import REPO, require
from tests.e2e.live_intake import Server, running_server
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.slow]

NGINX = Path(os.environ.get("REFSTACK_LITE_NGINX", "/usr/sbin/nginx"))
DEPLOY = REPO / "deploy" / "nginx"
PROXY_CONF = DEPLOY / "refstack-lite-proxy.conf"
SITE_CONF = DEPLOY / "refstack-lite.conf"
PUBLIC_HOST = "refstack.example.org"
PUBLIC_URL = f"https://{PUBLIC_HOST}"
WORKERS = 2  # gunicorn sync workers: fewer than the attackers, as in any real deployment
ATTACKERS = 50
LINE_EVERY = 2.0  # seconds between two header lines of one slow connection
FAST = 0.5  # seconds: what /healthz must stay under behind nginx
STALLED = 4.0  # seconds: how long /healthz is given without nginx


def _shipped_seconds(directive: str) -> float:
    """The value of a ``directive 10s;`` line of the shipped proxy configuration."""
    match = re.search(rf"^{directive} (\d+)s;", PROXY_CONF.read_text(), re.M)
    assert match, f"no {directive} in {PROXY_CONF}"
    return float(match[1])


# nginx gives a client this long for its whole request header.
HEADER_TIMEOUT = _shipped_seconds("client_header_timeout")


@dataclass(frozen=True)
class Nginx:
    port: int
    folder: Path
    proc: subprocess.Popen[bytes]

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(errors="replace")


def nginx_conf(folder: Path, servers: str) -> Path:
    """A whole nginx.conf whose every file (pid, logs, temporary files) lies under ``folder``,
    with ``servers`` (upstreams and server blocks) inside ``http``."""
    # As root, nginx's workers would switch to "nobody", which cannot enter pytest's private
    # temporary folders; they stay root here (a test on loopback, never a deployment).
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} notice;
events {{
    worker_connections 1024;
}}
http {{
    access_log {folder / "access.log"};
{temp}
{servers}
}}
"""
    )
    return conf


def nginx_command(conf: Path, *args: str) -> list[str]:
    return [str(NGINX), "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log"), *args]


def healthz(port: int, timeout: float) -> float:
    """Seconds until ``/healthz`` on ``port`` answered 200, or ``math.inf`` when it did not
    answer within ``timeout``."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz", headers={"Host": PUBLIC_HOST})
        response = conn.getresponse()
        body = response.read()
    except TimeoutError:
        return math.inf
    finally:
        conn.close()
    elapsed = time.monotonic() - start
    assert response.status == 200, body
    assert json.loads(body)["status"] == "ok"
    return elapsed


class SlowClients:
    """``count`` connections to ``port`` that each send a request line, then one header line every
    ``every`` seconds, and never the empty line that ends the headers. A connection the server
    closes is counted and opened again, as an attacker would. Bounded: the attack stops after
    ``limit`` seconds or when the ``with`` block is left, and every socket is closed."""

    def __init__(self, port: int, limit: float, count: int = ATTACKERS, every: float = LINE_EVERY) -> None:
        self.port = port
        self.limit = limit
        self.count = count
        self.every = every
        self.opened = 0
        self.closed_by_server = 0
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._attack, name="slow-clients", daemon=True)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        assert self._ready.wait(10), f"the slow connections did not open: {self.error!r}"
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "the attack did not stop"
        assert self.error is None, f"the attack itself failed: {self.error!r}"

    def running(self) -> bool:
        return self._thread.is_alive()

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {PUBLIC_HOST}\r\n".encode())
        self.opened += 1
        return sock

    @staticmethod
    def _closed(sock: socket.socket) -> bool:
        """Whether the server closed (or answered and closed) this connection."""
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        with contextlib.suppress(OSError):  # reset rather than closed: closed all the same
            sock.recv(4096)
        return True

    def _attack(self) -> None:
        deadline = time.monotonic() + self.limit
        sockets: list[socket.socket] = []
        try:
            sockets = [self._open() for _ in range(self.count)]
            self._ready.set()
            line = 0
            while not self._stop.wait(self.every) and time.monotonic() < deadline:
                line += 1
                for i, sock in enumerate(sockets):
                    try:
                        if not self._closed(sock):
                            sock.sendall(f"X-Slow-{line}: {line}\r\n".encode())
                            continue
                    except OSError:
                        pass
                    sock.close()
                    self.closed_by_server += 1
                    sockets[i] = self._open()
        except BaseException as err:  # reported by __exit__, in the test's thread
            self.error = err
        finally:
            for sock in sockets:
                sock.close()
            self._ready.set()


@pytest.fixture(scope="module")
def nginx_path() -> Path:
    require(os.access(NGINX, os.X_OK), f"no nginx executable at {NGINX} (Debian: apt-get install nginx)")
    return NGINX


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``scripts/entrypoint.sh`` on loopback, configured as behind one proxy: the deployment's settings."""
    folder = tmp_path_factory.mktemp("behind-nginx")
    with running_server(
        "sqlite:///" + str(folder / "server.sqlite3"),
        folder,
        workers=WORKERS,
        REFSTACK_LITE_PUBLIC_URL=PUBLIC_URL,
        REFSTACK_LITE_TRUSTED_PROXIES="1",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def nginx(nginx_path: Path, gunicorn: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    """nginx on a loopback port of its own, serving through the shipped proxy configuration."""
    folder = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = nginx_conf(
        folder,
        f"""    upstream refstack_lite {{
        server 127.0.0.1:{gunicorn.port} fail_timeout=0;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name {PUBLIC_HOST};
        include {PROXY_CONF};
    }}""",
    )
    proc = subprocess.Popen(
        nginx_command(conf, "-g", "daemon off;"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Nginx(port, folder, proc)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"nginx exited {proc.returncode}:\n{server.error_log()}"
            try:
                healthz(port, timeout=5)
                break
            except (ConnectionRefusedError, ConnectionResetError):
                assert time.monotonic() < deadline, f"nginx did not answer:\n{server.error_log()}"
                time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful shutdown
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PUBLIC_HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_nginx_accepts_the_shipped_site_configuration(nginx_path: Path, tmp_path: Path) -> None:
    """``nginx -t`` on deploy/nginx/refstack-lite.conf as shipped, with a certificate of the test's
    own in place of the real one (nothing is bound: ports 80 and 443 are only checked)."""
    cert, key = _self_signed(tmp_path)
    site = SITE_CONF.read_text()
    replacements = {
        "/etc/nginx/snippets/refstack-lite-proxy.conf": str(PROXY_CONF),
        f"/etc/letsencrypt/live/{PUBLIC_HOST}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{PUBLIC_HOST}/privkey.pem": str(key),
    }
    for shipped, local in replacements.items():
        assert shipped in site, f"{SITE_CONF.name} no longer names {shipped}: update this test"
        site = site.replace(shipped, local)
    conf = nginx_conf(tmp_path, site)
    done = subprocess.run(nginx_command(conf, "-t"), capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert "[warn]" not in done.stderr, done.stderr


def test_requests_pass_through_nginx_and_links_name_the_public_url(nginx: Nginx, gunicorn: Server) -> None:
    """The whole chain: a v1 upload through nginx with a forged Host and client address answers
    the public URL, with the server's security headers, and gunicorn logs the address nginx saw."""
    body = json.dumps({"cpid": "c" * 32, "duration_seconds": 10, "results": [{"name": "tempest.api.a.A.test_a"}]})
    forged = {"Host": "evil.example", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}
    conn = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=10)
    try:
        conn.request("POST", "/v1/results/", body=body, headers={**forged, "Content-Type": "application/json"})
        response = conn.getresponse()
        answer = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 201, answer
    assert answer["url"] == f"{PUBLIC_URL}/v1/results/{answer['test_id']}"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'"
    (logged,) = [line for line in gunicorn.output().splitlines() if '"POST /v1/results/ HTTP/1.0" 201' in line]
    assert logged.startswith("127.0.0.1 "), logged


def test_nginx_refuses_a_body_over_the_limit_in_the_servers_shape(nginx: Nginx, gunicorn: Server) -> None:
    limit = Settings.from_env({}).max_upload_bytes
    conn = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=10)
    try:
        conn.putrequest("POST", "/v2/submissions")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(limit + 1))
        conn.endheaders()  # nginx answers from the length alone, before any of the body
        response = conn.getresponse()
        answer = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/problem+json"
    assert answer == {
        "type": "urn:refstack-lite:problem:too-large",
        "title": "Content too large",
        "status": 413,
        "code": 413,
        "detail": f"the body may be at most {limit} bytes",
        "limit": limit,
    }
    assert "POST /v2/submissions" not in gunicorn.output(), "gunicorn must never have seen it"


def test_healthz_stays_fast_behind_nginx_during_a_slow_client_attack(nginx: Nginx) -> None:
    # Long enough for nginx's client_header_timeout to end the first slow connections.
    with SlowClients(nginx.port, limit=HEADER_TIMEOUT + 2 * LINE_EVERY) as attack:
        samples = []
        while attack.running():
            samples.append(healthz(nginx.port, timeout=STALLED))
            time.sleep(0.25)
    figures = f"/healthz through nginx during the attack: {len(samples)} requests, median {statistics.median(samples):.3f} s, max {max(samples):.3f} s"
    print(figures)
    assert len(samples) >= 20, figures
    assert max(samples) < FAST, figures
    # nginx, not the attacker, ended the slow requests, once they took longer than allowed.
    assert attack.closed_by_server >= ATTACKERS, (attack.opened, attack.closed_by_server)


def test_without_nginx_the_same_attack_stalls_gunicorn(gunicorn: Server) -> None:
    """For comparison (why nginx is there): the same attack on gunicorn's own port holds every
    sync worker, and /healthz does not answer. The attack is stopped after a few seconds."""
    with SlowClients(gunicorn.port, limit=2 * STALLED):
        time.sleep(LINE_EVERY / 2)
        stalled = healthz(gunicorn.port, timeout=STALLED)
    print(f"/healthz on gunicorn directly during the attack: {stalled} s (gave up after {STALLED} s)")
    assert stalled == math.inf
    # Once the slow connections are gone, the workers serve again.
    deadline = time.monotonic() + 30
    while healthz(gunicorn.port, timeout=5) == math.inf:
        assert time.monotonic() < deadline, gunicorn.output()
