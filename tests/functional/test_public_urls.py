"""Absolute URLs name the configured public origin, never the request's ``Host``; ``X-Forwarded-*``
counts only from the configured number of trusted proxies (issue 11, section 5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from refstack_lite.app import create_app
from refstack_lite.db import engine_of
from tests.functional.api_helpers import ok
from tests.functional.test_v1_results import body, raw
from tests.identity import bearer, make_user

PUBLIC = "https://refstack.example.org"
EVIL = "evil.example"
JSON = {"Content-Type": "application/json"}
# What a client (or a proxy that is not trusted) may send to pass itself off as another address.
SPOOFED = {
    "Host": EVIL,
    "X-Forwarded-Host": "forwarded." + EVIL,
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-For": "203.0.113.66",
    "X-Forwarded-Prefix": "/evil",
}


@pytest.fixture
def make_app(database_url: str) -> Iterator[Any]:
    """``create_app`` on the test database with extra settings; every app made is disposed of."""
    made: list[Flask] = []

    def make(**settings: str) -> Flask:
        app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, **settings})
        app.config["TESTING"] = True

        @app.get("/test-probe")
        def probe() -> Any:  # what the app believes about the request
            return jsonify(remote_addr=request.remote_addr, url=request.url, host_url=request.host_url)

        made.append(app)
        return app

    yield make
    for app in made:
        engine_of(app).dispose()


def _post_v1(client: FlaskClient, document: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    return ok(client.post("/v1/results/", data=raw(document), headers={**JSON, **headers}), 201)


def _every_answer(app: Flask, headers: dict[str, str]) -> list[tuple[str, str]]:
    """The bodies and headers of answers that carry URLs, each asked with ``headers``: a v1
    upload, its replay, the v1 list and result, the home redirect and a paginated v2 list."""
    client = app.test_client()
    admin = make_user(app, "root", "admin")
    make_user(app, "alice")
    document = body()
    created = client.post("/v1/results/", data=raw(document), headers={**JSON, **headers})
    replayed = client.post("/v1/results/", data=raw(document), headers={**JSON, **headers})
    assert (created.status_code, replayed.status_code) == (201, 409)
    test_id = created.get_json()["test_id"]
    answers = [
        created,
        replayed,
        client.get("/v1/results/", headers=headers),
        client.get(f"/v1/results/{test_id}", headers=headers),
        client.get("/", headers=headers),
        client.get("/v2/users?limit=1", headers={**headers, **bearer(admin)}),
    ]
    assert answers[-1].get_json()["next"], "the list must have a next page to show its link"
    return [(r.get_data(as_text=True), json.dumps(dict(r.headers))) for r in answers]


def test_no_answer_names_the_host_the_request_claimed(make_app: Any) -> None:
    app = make_app(REFSTACK_LITE_PUBLIC_URL=PUBLIC + "/", REFSTACK_LITE_TRUSTED_PROXIES="0")
    for data, headers in _every_answer(app, SPOOFED):
        assert EVIL not in data + headers
        assert "/evil" not in data + headers


def test_the_v1_url_names_the_public_origin_whatever_the_host(make_app: Any) -> None:
    client = make_app(REFSTACK_LITE_PUBLIC_URL=PUBLIC).test_client()
    answer = _post_v1(client, body(), {"Host": EVIL})
    assert answer["url"] == f"{PUBLIC}/v1/results/{answer['test_id']}"
    listed = client.get("/v1/results/", headers={"Host": EVIL}).get_json()["results"]
    assert [r["url"] for r in listed] == [answer["url"]]


def test_the_public_origin_wins_over_a_trusted_proxys_forwarded_host(make_app: Any) -> None:
    client = make_app(REFSTACK_LITE_PUBLIC_URL="http://127.0.0.1:8080", REFSTACK_LITE_TRUSTED_PROXIES="1").test_client()
    answer = _post_v1(client, body(), SPOOFED)
    assert answer["url"] == f"http://127.0.0.1:8080/v1/results/{answer['test_id']}"
    seen = ok(client.get("/test-probe", headers=SPOOFED))
    assert seen["host_url"] == "http://127.0.0.1:8080/"
    assert seen["remote_addr"] == "203.0.113.66"  # the address the trusted proxy saw


def test_development_without_a_public_url_answers_under_the_requests_own_url(make_app: Any) -> None:
    client = make_app().test_client()
    answer = _post_v1(client, body(), {})
    assert answer["url"] == f"http://localhost/v1/results/{answer['test_id']}"


def test_forwarded_headers_are_ignored_without_trusted_proxies(make_app: Any) -> None:
    client = make_app().test_client()
    headers = {k: v for k, v in SPOOFED.items() if k != "Host"}
    answer = _post_v1(client, body(), headers)
    assert answer["url"] == f"http://localhost/v1/results/{answer['test_id']}"
    seen = ok(client.get("/test-probe", headers=headers))
    assert seen == {
        "remote_addr": "127.0.0.1",
        "url": "http://localhost/test-probe",
        "host_url": "http://localhost/",
    }


def test_one_trusted_proxy_is_believed_for_its_own_hop_only(make_app: Any) -> None:
    client = make_app(REFSTACK_LITE_TRUSTED_PROXIES="1").test_client()
    # The client forged the first X-Forwarded-For entry; the proxy appended the address it saw.
    headers = {
        "X-Forwarded-For": "198.51.100.1, 203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "refstack.example.net",
        "X-Forwarded-Prefix": "/evil",
    }
    seen = ok(client.get("/test-probe", headers=headers))
    assert seen == {
        "remote_addr": "203.0.113.7",
        "url": "https://refstack.example.net/test-probe",
        "host_url": "https://refstack.example.net/",
    }
    answer = _post_v1(client, body(), headers)
    assert answer["url"] == f"https://refstack.example.net/v1/results/{answer['test_id']}"


def test_two_trusted_proxies_take_the_second_hop(make_app: Any) -> None:
    client = make_app(REFSTACK_LITE_TRUSTED_PROXIES="2").test_client()
    seen = ok(client.get("/test-probe", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.0.0.2"}))
    assert seen["remote_addr"] == "203.0.113.7"
