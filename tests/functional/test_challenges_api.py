"""``POST /v2/challenges``: fresh single-use nonces for a vendor's next signed test run."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.app import create_app
from refstack_lite.db import engine_of
from refstack_lite.services.challenges import MAX_OPEN
from tests.functional.api_helpers import ok, parse_iso, refused
from tests.identity import bearer

URL = "/v2/challenges"


def test_a_member_gets_a_fresh_nonce_for_72_hours(client: FlaskClient, alice: str, acme: str) -> None:
    first = ok(client.post(URL, json={"vendor_id": acme}, headers=bearer(alice)), 201)
    second = ok(client.post(URL, json={}, headers=bearer(alice)), 201)  # her only vendor
    assert first["vendor_id"] == second["vendor_id"] == acme
    assert first["nonce"] != second["nonce"]
    assert len(first["nonce"]) >= 43  # 32 random bytes
    assert parse_iso(first["expires_at"]) - parse_iso(first["issued_at"]) == timedelta(hours=72)


def test_the_lifetime_is_a_setting(app: Flask, database_url: str, alice: str, acme: str) -> None:
    short = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_CHALLENGE_HOURS": "2"})
    try:
        body = ok(short.test_client().post(URL, json={}, headers=bearer(alice)), 201)
    finally:
        engine_of(short).dispose()
    assert parse_iso(body["expires_at"]) - parse_iso(body["issued_at"]) == timedelta(hours=2)


def test_the_vendor_must_be_named_when_it_is_not_obvious(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    body = refused(app, client, "POST", URL, 400, "invalid-input", json={}, headers=bearer(bob))
    assert "no vendor" in body["detail"]
    other = ok(client.post("/v2/vendors", json={"name": "Second"}, headers=bearer(alice)), 201)["id"]
    body = refused(app, client, "POST", URL, 400, "invalid-input", json={}, headers=bearer(alice))
    assert acme in body["detail"]
    assert other in body["detail"]


def test_bad_requests_change_nothing(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    refused(app, client, "POST", URL, 401, "unauthenticated", json={"vendor_id": acme})
    refused(app, client, "POST", URL, 404, "not-found", json={"vendor_id": "no-such-vendor"}, headers=bearer(alice))
    body = refused(
        app, client, "POST", URL, 400, "schema-violation", json={"vendor_id": 7, "x": 1}, headers=bearer(alice)
    )
    assert len(body["problems"]) == 2
    refused(app, client, "POST", URL, 415, "unsupported-media-type", data="{}", headers=bearer(alice))


def test_open_challenges_are_bounded(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    for _ in range(MAX_OPEN):
        ok(client.post(URL, json={}, headers=bearer(alice)), 201)
    refused(app, client, "POST", URL, 409, "too-many-challenges", json={}, headers=bearer(alice))


def test_a_vendor_with_challenges_can_still_be_deleted(client: FlaskClient, alice: str, acme: str) -> None:
    ok(client.post(URL, json={}, headers=bearer(alice)), 201)
    assert client.delete(f"/v2/vendors/{acme}", headers=bearer(alice)).status_code == 204
