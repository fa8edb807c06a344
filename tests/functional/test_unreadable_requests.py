"""Requests the server cannot use as sent are a clear 400 that changes nothing, never a 500:
a cursor nested too deep to parse, and a body the WSGI server cannot read (broken chunked framing,
or a client that went away mid-body). The bodies are fed through the WSGI servers' own readers,
gunicorn's and Werkzeug's development server's, so each behaves here as it does on a socket
(tests/e2e/test_unreadable_bodies.py sends the same over real connections)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from gunicorn.http.body import Body, ChunkedReader
from gunicorn.http.unreader import IterUnreader
from werkzeug.serving import DechunkedInput

from tests.functional.api_helpers import assert_problem, ok, refused, unchanged
from tests.functional.submission_helpers import Vendor, ready_vendor
from tests.identity import bearer

DEEP_CURSOR = base64.urlsafe_b64encode(b"[" * 2500).decode().rstrip("=")


@dataclass(frozen=True)
class World:
    """Acme (alice's) with a key, a product version and a submission that names its evidence;
    root, a foundation admin."""

    vendor: Vendor
    root: str
    ids: dict[str, str]

    def token(self, who: str) -> str:
        return {"alice": self.vendor.token, "root": self.root}[who]

    def url(self, rule: str) -> str:
        """The route ``rule`` (Flask's form, ``/v2/vendors/<vendor_id>``) with the world's ids."""
        for name, value in self.ids.items():
            rule = rule.replace(f"<{name}>", value)
        assert "<" not in rule, rule
        return rule


@pytest.fixture
def world(app: Flask, client: FlaskClient, alice: str, root: str) -> World:
    vendor = ready_vendor(app, client, alice)
    evidence = "sha256:" + "ab" * 32
    submission = ok(vendor.submit(vendor.sign(vendor.results(evidence_digest=evidence))), 201)["id"]
    ids = {
        "vendor_id": vendor.id,
        "product_id": vendor.product_id,
        "version_id": vendor.version_id,
        "key_id": vendor.key_id,
        "submission_id": submission,
        "token_id": "no-such-token",
        "name": "alice",
        "path:file_name": "2020.06.json",
        "path:filename": "none",
        "test_id": submission,
        "target": "platform",
        "program_id": "powered-platform",
        "request_id": "no-such-request",  # the body is read before the request is looked up
        "certification_id": "no-such-certification",
    }
    return World(vendor, root, ids)


# --- cursors --------------------------------------------------------------------------------------

# Every list that pages with ?cursor= (test_every_paginated_list_is_listed keeps this complete).
PAGINATED = (
    "/v2/users",
    "/v2/tokens",
    "/v2/vendors",
    "/v2/vendors/<vendor_id>/members",
    "/v2/vendors/<vendor_id>/products",
    "/v2/vendors/<vendor_id>/keys",
    "/v2/products",
    "/v2/products/<product_id>/versions",
    "/v2/submissions",
    "/v2/audit",
)
# Lists that page by number, with a total, and link the next page (tests/functional/test_directory_api.py).
PAGE_NUMBERED = ("/v2/directory/certifications",)


def test_every_paginated_list_is_listed(app: Flask, client: FlaskClient, world: World) -> None:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v2/") and "GET" in (rule.methods or ()):
            response = client.get(world.url(rule.rule), headers=bearer(world.root))
            if response.status_code == 200 and response.is_json and "next" in response.get_json():
                found.add(rule.rule)
    assert found == {*PAGINATED, *PAGE_NUMBERED}


@pytest.mark.parametrize("rule", PAGINATED)
def test_a_cursor_nested_too_deep_is_a_400(app: Flask, client: FlaskClient, world: World, rule: str) -> None:
    url = f"{world.url(rule)}?cursor={DEEP_CURSOR}"
    body = refused(app, client, "GET", url, 400, "invalid-input", headers=bearer(world.root))
    assert [p["path"] for p in body["problems"]] == ["$.cursor"]


# --- bodies that cannot be read -----------------------------------------------------------------


def gunicorn_stream(*pieces: bytes) -> IO[bytes]:
    """gunicorn's reader of a chunked body, over ``pieces`` as they came off the socket."""
    stream: IO[bytes] = Body(ChunkedReader(None, IterUnreader(list(pieces))))
    return stream


def werkzeug_stream(data: bytes) -> IO[bytes]:
    """The development server's reader of a chunked body."""
    return io.BufferedReader(DechunkedInput(io.BytesIO(data)))


class ResetStream(io.RawIOBase):
    """A connection the client reset after sending the start of its body."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent:
            raise ConnectionResetError(104, "Connection reset by peer")
        self.sent = True
        buffer[:2] = b'{"'
        return 2


def chunked(stream: IO[bytes]) -> dict[str, Any]:
    """The WSGI environ of a chunked body read through ``stream``: the server ends the input."""
    return {"wsgi.input": stream, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}


def short_of(length: int, sent: bytes, *, terminated: bool) -> dict[str, Any]:
    """A body announced as ``length`` bytes of which only ``sent`` came before the client left.
    gunicorn ends such an input itself (``wsgi.input_terminated``) and hands over what came; the
    development server leaves it to Werkzeug, which raises ClientDisconnected."""
    environ = {"wsgi.input": io.BytesIO(sent), "CONTENT_LENGTH": str(length)}
    return {**environ, "wsgi.input_terminated": True} if terminated else environ


# name: (the environ a WSGI server builds for such a body, the slug of the refusal)
BODIES: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    "gunicorn, bad chunk size": (lambda: chunked(gunicorn_stream(b"zz\r\n")), "unreadable-body"),
    "gunicorn, client gone mid-chunk": (
        lambda: chunked(gunicorn_stream(b"400\r\n", b'{"cpid": "c')),
        "unreadable-body",
    ),
    "gunicorn, bad chunk terminator": (lambda: chunked(gunicorn_stream(b"2\r\n{}XX0\r\n\r\n")), "unreadable-body"),
    "gunicorn, client gone before its Content-Length": (
        lambda: short_of(1024, b'{"cpid"', terminated=True),
        "truncated-body",
    ),
    "development server, bad chunk size": (lambda: chunked(werkzeug_stream(b"zz\r\n")), "unreadable-body"),
    "development server, client gone mid-chunk": (
        lambda: chunked(werkzeug_stream(b'400\r\n{"cpid": "c')),
        "unreadable-body",
    ),
    "development server, client gone before its Content-Length": (
        lambda: short_of(1024, b'{"cpid"', terminated=False),
        "truncated-body",
    ),
    "connection reset mid-body": (lambda: chunked(io.BufferedReader(ResetStream())), "unreadable-body"),
}

# Every route that reads a body: (method, rule, whose token, content type).
READS_BODY = (
    ("POST", "/v1/results", None, "application/json"),
    ("POST", "/v1/results/", None, "application/json"),
    ("POST", "/v2/submissions", "alice", "application/json"),
    ("PUT", "/v2/submissions/<submission_id>/evidence", "alice", "application/vnd.subunit.v2"),
    ("POST", "/v2/challenges", "alice", "application/json"),
    ("POST", "/v2/tokens", "alice", "application/json"),
    ("POST", "/v2/users", "root", "application/json"),
    ("PUT", "/v2/users/<name>/role", "root", "application/json"),
    ("POST", "/v2/vendors", "alice", "application/json"),
    ("PATCH", "/v2/vendors/<vendor_id>", "alice", "application/json"),
    ("POST", "/v2/vendors/<vendor_id>/deny", "root", "application/json"),
    ("POST", "/v2/vendors/<vendor_id>/members", "alice", "application/json"),
    ("PATCH", "/v2/vendors/<vendor_id>/members/<name>", "alice", "application/json"),
    ("POST", "/v2/vendors/<vendor_id>/products", "alice", "application/json"),
    ("PATCH", "/v2/products/<product_id>", "alice", "application/json"),
    ("POST", "/v2/products/<product_id>/versions", "alice", "application/json"),
    ("PATCH", "/v2/products/<product_id>/versions/<version_id>", "alice", "application/json"),
    ("POST", "/v2/vendors/<vendor_id>/keys/challenges", "alice", "application/json"),
    ("POST", "/v2/vendors/<vendor_id>/keys", "alice", "application/json"),
    ("POST", "/v2/vendors/<vendor_id>/keys/<key_id>/revoke", "alice", "application/json"),
    ("POST", "/v2/certification-requests", "alice", "application/json"),
    ("POST", "/v2/certification-requests/<request_id>/approve", "root", "application/json"),
    ("POST", "/v2/certification-requests/<request_id>/deny", "root", "application/json"),
    ("POST", "/v2/certifications/<certification_id>/revoke", "root", "application/json"),
)
# The routes that change something from their path alone.
READS_NO_BODY = {
    ("POST", "/v2/vendors/<vendor_id>/apply"),
    ("POST", "/v2/vendors/<vendor_id>/approve"),
    ("POST", "/v2/vendors/<vendor_id>/withdraw"),
    ("POST", "/v2/vendors/<vendor_id>/invitation"),
    ("POST", "/v2/vendors/<vendor_id>/keys/<key_id>/retire"),
    ("POST", "/v2/certification-requests/<request_id>/withdraw"),
}


def send(client: FlaskClient, method: str, url: str, environ: dict[str, Any], token: str | None, kind: str) -> Any:
    """A request whose body reaches the app as a WSGI server hands it over (``environ``)."""
    headers = {"Content-Type": kind, **(bearer(token) if token else {})}
    return client.open(url, method=method, headers=headers, environ_overrides=environ)


def test_every_route_with_a_body_is_listed(app: Flask) -> None:
    """Every API route that takes a body (the console's forms: tests/functional/test_console_bodies.py)."""
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & {"POST", "PUT", "PATCH"}
        if not rule.rule.startswith("/console/")
    }
    assert routes == {(method, rule) for method, rule, _, _ in READS_BODY} | READS_NO_BODY


@pytest.mark.parametrize("sent", list(BODIES))
def test_a_body_that_cannot_be_read_is_a_400_and_changes_nothing(
    app: Flask, client: FlaskClient, world: World, sent: str
) -> None:
    environ, slug = BODIES[sent]
    for method, rule, who, kind in READS_BODY:
        token = None if who is None else world.token(who)
        with unchanged(app):
            response = send(client, method, world.url(rule), environ(), token, kind)
        assert response.status_code == 400, (method, rule, response.get_data(as_text=True))
        body = json.loads(response.get_data())
        if rule.startswith("/v1/"):  # RefStack's shape
            assert response.mimetype == "application/json"
            assert body["code"] == 400
            opening = {"unreadable-body": "the request body could not be read", "truncated-body": "the body is shorter"}
            assert body["title"].startswith(opening[slug]), body
        else:
            assert_problem(response, 400, slug)
