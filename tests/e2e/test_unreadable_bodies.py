"""Bodies a server cannot read, sent over real sockets: broken chunked framing, and clients that
stop sending or go away mid-body. gunicorn as production runs it (``scripts/entrypoint.sh``, sync
and threaded workers) and the development server answer 400 in the API's shape, store nothing and
log no error (tests/functional/test_unreadable_requests.py covers every route in-process)."""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from tests.e2e.live_intake import dispose, prepared_vendor, running_server
from tests.functional.api_helpers import PROBLEM_TYPE, ok, unchanged
from tests.functional.client_helpers import serve
from tests.functional.submission_helpers import Vendor

pytestmark = pytest.mark.slow

ACCESS = re.compile(r'"(?:POST|PUT) (\S+) HTTP/1\.1" (\d{3})')
COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # the development server colours its log on a terminal
WAIT = 30.0


@dataclass
class Live:
    port: int
    vendor: Vendor
    app: Flask
    log: Callable[[], str]  # everything the server logged so far
    evidence_url: str  # a submission's evidence, never uploaded

    def answered(self) -> list[tuple[str, str]]:
        """(path, status) of every request the server has logged as done."""
        return ACCESS.findall(COLOURS.sub("", self.log()))


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _with_evidence_url(vendor: Vendor) -> str:
    receipt = ok(vendor.submit(vendor.sign(vendor.results(evidence_digest="sha256:" + "cd" * 32))), 201)
    return str(receipt["links"]["evidence"])


@pytest.fixture(scope="module", params=["gunicorn sync", "gunicorn threads", "development server"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("unreadable")
    url = "sqlite:///" + str(folder / "db.sqlite3")
    vendor, app = prepared_vendor(url)
    evidence = _with_evidence_url(vendor)
    try:
        if request.param == "development server":
            collected = Collected()
            root = logging.getLogger()
            root.addHandler(collected)
            logging.getLogger("werkzeug").setLevel(logging.INFO)
            try:
                with serve(app) as base:
                    port = int(base.rsplit(":", 1)[1])
                    yield Live(port, vendor, app, lambda: "\n".join(collected.lines), evidence)
            finally:
                root.removeHandler(collected)
            return
        threads = 4 if request.param == "gunicorn threads" else 1
        with running_server(url, folder / "server", workers=1, threads=threads) as server:
            yield Live(server.port, vendor, app, server.output, evidence)
    finally:
        dispose(app)


def head(live: Live, method: str, path: str, *lines: str) -> bytes:
    auth = [] if path.startswith("/v1/") else [f"Authorization: Bearer {live.vendor.token}"]
    kind = "application/vnd.subunit.v2" if path.endswith("/evidence") else "application/json"
    text = [f"{method} {path} HTTP/1.1", "Host: localhost", f"Content-Type: {kind}", *auth, *lines, "", ""]
    return "\r\n".join(text).encode("ascii")


def routes(live: Live) -> list[tuple[str, str]]:
    return [
        ("POST", "/v1/results"),
        ("POST", "/v2/submissions"),
        ("PUT", live.evidence_url),
        ("POST", "/v2/vendors"),
    ]


def answer(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    body: dict[str, Any] = json.loads(response.read())
    return response.status, body


def assert_refused(path: str, status: int, body: dict[str, Any]) -> None:
    assert status == 400, body
    if path.startswith("/v1/"):  # RefStack's shape
        assert body["code"] == 400
        assert body["title"], body
    else:
        assert body["type"] in (PROBLEM_TYPE + "unreadable-body", PROBLEM_TYPE + "truncated-body"), body


def assert_clean(live: Live) -> None:
    log = live.log()
    assert "Traceback" not in log, log
    assert "ERROR" not in log, log
    answered = live.answered()
    assert answered, log
    assert all(status != "500" for _, status in answered), log


def test_broken_chunked_framing_is_a_400_on_every_body_route(live: Live) -> None:
    for method, path in routes(live):
        with unchanged(live.app), socket.create_connection(("127.0.0.1", live.port), timeout=WAIT) as sock:
            sock.sendall(head(live, method, path, "Transfer-Encoding: chunked") + b"zz\r\n")
            status, body = answer(sock)
        assert_refused(path, status, body)
        assert "chunk" in json.dumps(body), body
    assert_clean(live)


def test_a_client_that_stops_sending_mid_body_is_answered_400(live: Live) -> None:
    for framing, start in (("Transfer-Encoding: chunked", b'400\r\n{"cpid": "c'), ("Content-Length: 1024", b'{"cp')):
        for method, path in routes(live):
            with unchanged(live.app), socket.create_connection(("127.0.0.1", live.port), timeout=WAIT) as sock:
                sock.sendall(head(live, method, path, framing) + start)
                sock.shutdown(socket.SHUT_WR)
                status, body = answer(sock)
            assert_refused(path, status, body)
    assert_clean(live)


@pytest.mark.parametrize("leave", ["close", "reset"])
def test_a_client_that_goes_away_mid_body_leaves_nothing_stored_and_no_error(live: Live, leave: str) -> None:
    for framing, start in (("Transfer-Encoding: chunked", b'400\r\n{"cpid": "c'), ("Content-Length: 1024", b'{"cp')):
        for method, path in routes(live):
            done = len(live.answered())
            with unchanged(live.app):
                sock = socket.create_connection(("127.0.0.1", live.port), timeout=WAIT)
                sock.sendall(head(live, method, path, framing) + start)
                if leave == "reset":  # close with RST instead of FIN
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
                deadline = time.monotonic() + WAIT
                while len(live.answered()) == done:
                    assert time.monotonic() < deadline, f"{path} was never answered:\n{live.log()}"
                    time.sleep(0.05)
            assert live.answered()[done] == (path, "400"), (framing, leave, live.log())
    assert_clean(live)


def test_the_server_still_serves_after_all_that(live: Live) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=WAIT)
    try:
        conn.request("POST", "/v1/results", body=b'{"cpid": "x", "duration_seconds": 1, "results": [{"name": "t.a"}]}')
        assert conn.getresponse().status == 201
    finally:
        conn.close()
