"""Rules every route follows, checked over the whole URL map so a new route cannot miss them:
a 405 says which methods the path allows, an anonymous write is a 401 whatever it sends, and a
/v2 query parameter sent without a value is refused rather than ignored."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from refstack_lite.app import create_app
from refstack_lite.db import engine_of
from tests.functional.api_helpers import assert_problem, make_official, new_vendor, ok, refused, unchanged
from tests.functional.submission_helpers import GUIDELINE, import_guidelines
from tests.identity import bearer

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITES = frozenset(("POST", "PUT", "PATCH", "DELETE"))


def rules(app: Flask) -> list[Rule]:
    return list(app.url_map.iter_rules())


def example(rule: Rule, **values: str) -> str:
    """A path the rule matches: each variable ``values[name]``, or ``x``."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", lambda m: values.get(m[1], "x"), rule.rule)


def _allow(allowed: set[str]) -> str:
    implied = {"OPTIONS"} | ({"HEAD"} if "GET" in allowed else set())
    return ", ".join(sorted(allowed | implied))


def _check_error_shape(path: str, response: Any) -> None:
    if path.startswith(("/v2/", "/.well-known/")) or path == "/healthz":
        assert_problem(response, 405, "method-not-allowed")
    elif path.startswith("/v1/"):  # RefStack's pecan.abort shape
        assert response.mimetype == "application/json"
        assert json.loads(response.get_data()) == {
            "code": 405,
            "title": "Method Not Allowed",
            "detail": "The method is not allowed for the requested URL.",
        }
    else:  # the pages
        assert response.mimetype == "text/html"


def test_every_405_names_exactly_the_methods_its_path_allows(app: Flask, client: FlaskClient) -> None:
    paths = sorted({example(rule) for rule in rules(app)})
    refused_methods = 0
    with unchanged(app):
        for path in paths:
            answers = {method: client.open(path, method=method) for method in METHODS}
            allowed = {method for method, response in answers.items() if response.status_code != 405}
            assert allowed, path
            options = client.open(path, method="OPTIONS").headers["Allow"]  # Flask's own answer, in any order
            assert sorted(options.split(", ")) == _allow(allowed).split(", "), path
            for method, response in answers.items():
                if response.status_code == 405:
                    refused_methods += 1
                    assert response.headers.get("Allow") == _allow(allowed), (method, path)
                    _check_error_shape(path, response)
    assert refused_methods > 100  # most paths take one or two of the five methods


@pytest.fixture
def official(client: FlaskClient, alice: str, root: str) -> str:
    """An official vendor: anyone may see it, so only authentication stands before its writes."""
    vendor_id = new_vendor(client, alice, "Acme")
    make_official(client, alice, root, vendor_id)
    return vendor_id


@pytest.mark.parametrize("kind", ["application/json", "text/plain", None])
def test_every_anonymous_v2_write_is_a_401_whatever_its_body(
    app: Flask, client: FlaskClient, official: str, kind: str | None
) -> None:
    writes = [
        (method, example(rule, vendor_id=official))
        for rule in rules(app)
        if rule.rule.startswith("/v2/")
        for method in sorted((rule.methods or set()) & WRITES)
    ]
    assert ("POST", f"/v2/vendors/{official}/keys") in writes
    assert len(writes) >= 28
    with unchanged(app):
        for method, path in writes:
            response = client.open(path, method=method, data=b'{"public_key": [garbage', content_type=kind)
            assert response.status_code == 401, (method, path, response.get_data(as_text=True))
            assert_problem(response, 401, "unauthenticated")


def test_every_anonymous_v1_write_is_a_401_where_anonymous_uploads_are_off(database_url: str) -> None:
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ANONYMOUS_UPLOADS": "false"})
    client = app.test_client()
    writes = [
        (method, example(rule))
        for rule in rules(app)
        if rule.rule.startswith("/v1/")
        for method in sorted((rule.methods or set()) & WRITES)
    ]
    assert ("POST", "/v1/results/") in writes
    with unchanged(app):
        for method, path in writes:
            for data, kind in ((b"{garbage", "application/json"), (b"x=1", "application/x-www-form-urlencoded")):
                response = client.open(path, method=method, data=data, content_type=kind)
                assert response.status_code == 401, (method, path, response.get_data(as_text=True))
                answer = json.loads(response.get_data())
                assert answer["code"] == 401
                assert answer["detail"].startswith("Anonymous result uploads are disabled")
    engine_of(app).dispose()


def test_a_query_parameter_without_a_value_is_refused_on_every_v2_route(app: Flask, client: FlaskClient) -> None:
    reads = [example(rule) for rule in rules(app) if rule.rule.startswith("/v2/") and "GET" in (rule.methods or ())]
    assert "/v2/audit" in reads
    with unchanged(app):
        for path in reads:
            body = assert_problem(client.get(path + "?until=&limit=&cursor=5"), 400, "empty-parameter")
            assert [p["path"] for p in body["problems"]] == ["$.limit", "$.until"], path
            assert "limit, until" in body["detail"]


def test_an_empty_query_parameter_is_refused_on_a_write_too(app: Flask, client: FlaskClient, alice: str) -> None:
    refused(
        app, client, "POST", "/v2/vendors?dry_run=", 400, "empty-parameter", json={"name": "A"}, headers=bearer(alice)
    )


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/v2/audit", "since"),
        ("/v2/audit", "until"),
        ("/v2/audit", "vendor"),
        ("/v2/audit", "action"),
        ("/v2/audit", "subject"),
        ("/v2/audit", "cursor"),
        ("/v2/products", "vendor"),
        ("/v2/guidelines", "family"),
        ("/v2/vendors", "cursor"),
    ],
)
def test_a_filter_sent_empty_is_refused_where_it_was_ignored(
    app: Flask, client: FlaskClient, root: str, alice: str, url: str, param: str
) -> None:
    """``?until=`` listed every event, as if the filter had not been sent."""
    new_vendor(client, alice, "Acme")
    body = refused(app, client, "GET", f"{url}?{param}=", 400, "empty-parameter", headers=bearer(root))
    assert body["problems"] == [{"path": f"$.{param}", "message": "is empty"}]
    assert body["detail"].startswith(f"the query parameter {param} came without a value")


def test_audit_time_filters_with_values_still_filter(client: FlaskClient, root: str, alice: str) -> None:
    new_vendor(client, alice, "Acme")
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    events = ok(client.get("/v2/audit", query_string={"until": later}, headers=bearer(root)))["items"]
    assert "vendor.create" in {e["action"] for e in events}
    assert ok(client.get("/v2/audit", query_string={"since": later}, headers=bearer(root)))["items"] == []


def test_a_page_reads_an_empty_target_as_the_first_target(app: Flask, client: FlaskClient) -> None:
    """The documented exception: a page's form left at its default sends ``target=``."""
    import_guidelines(app, GUIDELINE)
    default = client.get(f"/guidelines/{GUIDELINE}")
    empty = client.get(f"/guidelines/{GUIDELINE}?target=")
    assert (default.status_code, empty.status_code) == (200, 200)
    assert empty.get_data() == default.get_data()
