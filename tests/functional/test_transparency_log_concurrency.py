"""Appends under concurrency (issue 16, item 2), on SQLite and PostgreSQL: requests sent at the
same moment, each from its own thread through its own app (its own engine and connections, as
separate server processes would have), give one tree with no gaps, no repeats and no fork."""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys
from refstack_lite_client.transparency import log_entries

from refstack_lite.app import create_app
from refstack_lite.db import engine_of
from tests.functional.api_helpers import ok
from tests.functional.log_helpers import assert_one_tree, size
from tests.functional.submission_helpers import Vendor, ready_vendor
from tests.functional.test_v1_results import body as v1_body
from tests.functional.test_v1_results import raw
from tests.identity import bearer, make_user

BURST = 20
Send = Callable[[FlaskClient], Any]


@contextmanager
def apps(database_url: str, count: int) -> Iterator[list[Flask]]:
    """``count`` apps on the test database, each with its own engine."""
    made = []
    try:
        for _ in range(count):
            app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ENV": "development"})
            app.config["TESTING"] = True
            made.append(app)
        yield made
    finally:
        for app in made:
            engine_of(app).dispose()


def at_once(database_url: str, sends: list[Send]) -> list[Any]:
    """Run every send at the same moment, each in its own thread with its own app; their responses."""
    with apps(database_url, len(sends)) as own:
        start = threading.Barrier(len(sends))

        def run(pair: tuple[Flask, Send]) -> Any:
            app, send = pair
            client = app.test_client()
            start.wait(timeout=30)
            return send(client)

        with ThreadPoolExecutor(max_workers=len(sends)) as pool:
            return list(pool.map(run, zip(own, sends, strict=True)))


def statuses(responses: list[Any]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def test_simultaneous_v1_uploads_fill_an_empty_log_without_gaps(app: Flask, database_url: str) -> None:
    bodies = [raw(v1_body()) for _ in range(BURST)]

    def upload(data: bytes) -> Send:
        return lambda client: client.post("/v1/results/", data=data, headers={"Content-Type": "application/json"})

    responses = at_once(database_url, [upload(data) for data in bodies])
    assert statuses(responses) == {201: BURST}, [r.get_data(as_text=True) for r in responses]
    entries = assert_one_tree(engine_of(app))
    assert [e.index for e in entries] == list(range(BURST))
    assert sorted(e.subject for e in entries) == sorted(r.get_json()["test_id"] for r in responses)
    assert {e.kind for e in entries} == {log_entries.SUBMISSION_ACCEPTED}


def intake(envelope: bytes, token: str) -> Send:
    return lambda client: client.post(
        "/v2/submissions", data=envelope, headers={**bearer(token), "Content-Type": "application/json"}
    )


def test_twenty_simultaneous_intakes_append_twenty_leaves_to_one_tree(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    vendor = ready_vendor(app, client, make_user(app, "alice"))
    envelopes = [vendor.sign(vendor.results()) for _ in range(BURST)]
    before = size(app)
    responses = at_once(database_url, [intake(e, vendor.token) for e in envelopes])
    assert statuses(responses) == {201: BURST}, [r.get_data(as_text=True) for r in responses]
    entries = assert_one_tree(engine_of(app))
    new = entries[before:]
    assert [e.index for e in new] == list(range(before, before + BURST))
    assert {e.kind for e in new} == {log_entries.SUBMISSION_ACCEPTED}
    assert sorted(e.subject for e in new) == sorted(r.get_json()["id"] for r in responses)


def key_registration(client: FlaskClient, vendor: Vendor, seed: int) -> Send:
    """A registration of a new key, its challenge asked for and signed now; sent later."""
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    public = keys.public_key_of(private).openssh
    url = f"/v2/vendors/{vendor.id}/keys"
    challenged = ok(client.post(f"{url}/challenges", json={"public_key": public}, headers=bearer(vendor.token)), 201)
    body = {
        "public_key": public,
        "challenge_id": challenged["challenge_id"],
        "signature": base64.b64encode(keys.sign(private, base64.b64decode(challenged["message"]))).decode(),
    }
    return lambda own: own.post(url, json=body, headers=bearer(vendor.token))


def test_key_registrations_mixed_with_intakes_append_to_one_tree(
    app: Flask, client: FlaskClient, database_url: str
) -> None:
    vendor = ready_vendor(app, client, make_user(app, "alice"))
    registrations = [key_registration(client, vendor, seed) for seed in range(10, 10 + BURST)]
    intakes = [intake(vendor.sign(vendor.results()), vendor.token) for _ in range(BURST)]
    mixed = [send for pair in zip(registrations, intakes, strict=True) for send in pair]
    before = size(app)
    responses = at_once(database_url, mixed)
    assert statuses(responses) == {201: 2 * BURST}, [r.get_data(as_text=True) for r in responses]
    entries = assert_one_tree(engine_of(app))
    new = entries[before:]
    assert [e.index for e in new] == list(range(before, before + 2 * BURST))
    assert Counter(e.kind for e in new) == {log_entries.SUBMISSION_ACCEPTED: BURST, log_entries.KEY_REGISTERED: BURST}
    answered = {r.get_json().get("fingerprint") or r.get_json()["id"] for r in responses}
    assert {e.subject for e in new} == answered
