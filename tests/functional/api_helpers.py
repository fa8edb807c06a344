"""Helpers for the /v2 API tests: database snapshots, problem+json checks, pagination walks, and
vendor and product set-up through the real API."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from refstack_lite.db import engine_of
from refstack_lite.models import Base
from tests.identity import bearer

PROBLEM = "application/problem+json"
PROBLEM_TYPE = "urn:refstack-lite:problem:"
TIME_SLUG = "invalid-input"  # times are checked by bodies.parse_time, not by a format checker
# The one column a request may change without succeeding: using a good token stamps it.
VOLATILE = {("api_tokens", "last_used_at")}


def table_counts(app: Flask) -> dict[str, int]:
    """Rows in every table the models know, audit_events included."""
    with engine_of(app).connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of every table (but ``VOLATILE`` columns), in a stable order: what a refused
    request must leave exactly as it was."""
    out: dict[str, list[str]] = {}
    with engine_of(app).connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted(repr(tuple(row)) for row in rows)
    return out


@contextmanager
def unchanged(app: Flask) -> Iterator[None]:
    """Assert that nothing in the database changes inside the block."""
    before = snapshot(app)
    yield
    after = snapshot(app)
    changes = {
        table: {"gone": sorted(set(rows) - set(after[table])), "new": sorted(set(after[table]) - set(rows))}
        for table, rows in before.items()
        if rows != after[table]
    }
    assert not changes, f"the database changed: {changes}"


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    """An RFC 9457 answer with exactly this status and ``type`` slug."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = json.loads(response.get_data())
    assert body["type"] == PROBLEM_TYPE + slug, body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="refstack-lite"'
    return body


def refused(
    app: Flask, client: FlaskClient, method: str, url: str, status: int, slug: str, **kwargs: Any
) -> dict[str, Any]:
    """Send a request that must be refused with ``status``/``slug`` and change no row anywhere."""
    with unchanged(app):
        response = client.open(url, method=method, **kwargs)
    return assert_problem(response, status, slug)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def walk(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> list[list[dict[str, Any]]]:
    """Follow ``next`` from ``url`` to the end; the pages' items. Checks the Link header agrees."""
    pages: list[list[dict[str, Any]]] = []
    next_url: str | None = url
    while next_url is not None:
        assert len(pages) < 100, "pagination does not end"
        response = client.get(next_url, headers=headers)
        body = ok(response)
        pages.append(body["items"])
        next_url = body["next"]
        if next_url is None:
            assert "Link" not in response.headers
        else:
            assert response.headers["Link"] == f'<{next_url}>; rel="next"'
    return pages


def cursor_of(values: Any) -> str:
    """A cursor in the server's own encoding (base64url JSON), for crafted-cursor tests."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def new_vendor(client: FlaskClient, token: str, name: str, description: str = "") -> str:
    body = ok(client.post("/v2/vendors", json={"name": name, "description": description}, headers=bearer(token)), 201)
    return str(body["id"])


def make_official(client: FlaskClient, owner: str, admin: str, vendor_id: str) -> None:
    ok(client.post(f"/v2/vendors/{vendor_id}/apply", headers=bearer(owner)))
    ok(client.post(f"/v2/vendors/{vendor_id}/approve", headers=bearer(admin)))


def add_member(client: FlaskClient, owner: str, vendor_id: str, name: str, token: str, role: str = "member") -> None:
    """Invite ``name`` into the vendor and accept the invitation with their ``token``."""
    ok(client.post(f"/v2/vendors/{vendor_id}/members", json={"user": name, "role": role}, headers=bearer(owner)), 201)
    ok(client.post(f"/v2/vendors/{vendor_id}/invitation", headers=bearer(token)))


def new_product(
    client: FlaskClient, token: str, vendor_id: str, name: str, product_type: str = "distribution", **extra: Any
) -> dict[str, Any]:
    body = {"name": name, "product_type": product_type, **extra}
    return dict(ok(client.post(f"/v2/vendors/{vendor_id}/products", json=body, headers=bearer(token)), 201))


def parse_iso(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


@contextmanager
def recorded_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs, in order."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = engine_of(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
